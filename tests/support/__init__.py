"""What the tests share, by topic (fixtures stay in the ``conftest.py`` files):

- ``paths``: the repository, the fixtures folder, the CAP schema;
- ``settings``: test settings (``make_settings``), their secrets, throwaway databases;
- ``wait``: ``wait_until``, the one polling loop;
- ``processes``: the environment of a child ``ews`` process (``ews_env``), free ports;
- ``web``: ``auth`` headers and the dashboard sign-in;
- ``alerts``, ``delivery``, ``web_sample``: rows as the jobs write them, loopback mail and HTTP
  servers, a populated service for the pages;
- ``edges``: hypothesis strategies for the edges of each field;
- ``browser``: Chromium, the request and console watch, screenshots;
- ``pg_server``: a PostgreSQL server of a test's own; ``scheduler_worker``: a scheduler process
  with a recording job.
"""
