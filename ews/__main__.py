from ews.cli import app

app()
