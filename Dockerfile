# The EWS image: one image for the API, the scheduler, the delivery worker and `ews init`.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY ews ./ews
COPY indicators ./indicators
COPY alerts ./alerts
COPY fixtures ./fixtures
RUN pip install . && useradd --system --home /app ews && mkdir -p /app/var/photos && chown -R ews /app/var
USER ews
ENV EWS_FIXTURES_DIR=/app/fixtures
EXPOSE 8000
CMD ["ews", "serve", "--host", "0.0.0.0", "--port", "8000"]
