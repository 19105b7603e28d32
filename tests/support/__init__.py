"""What the tests share, by topic (fixtures stay in the ``conftest.py`` files):

- ``paths``: the repository, the fixtures folder, the CAP schema;
- ``settings``: test settings (``make_settings``), their secrets, throwaway databases;
- ``wait``: ``wait_until``, the one polling loop;
- ``processes``: the environment of a child ``ews`` process (``ews_env``), free ports;
- ``web``: ``auth`` headers and the dashboard sign-in;
- ``alerts``, ``delivery``, ``web_sample``: rows as the jobs write them, loopback mail and HTTP
  servers, a populated service for the pages;
- ``edges``: hypothesis strategies for the edges of each field, and the oracle of their answers;
- ``patrol_reports``, ``sms_gateway``, ``bad_inputs``: a valid patrol report and SMS message, the
  malformed feed uploads of the bad-input corpus;
- ``alert_api``, ``alert_timeline``: the alert API's callers by role, a user's timeline through the
  API for the alerts-on-time scenarios;
- ``alert_lifecycle``, ``indicator_frames``: literal inputs and builders for the pure alert and
  indicator tests;
- ``timing_machine``, ``timing_model``: the state machine of the timing test and its reference
  model;
- ``browser``: Chromium, the request and console watch, screenshots;
- ``pg_server``: a PostgreSQL server of a test's own; ``scheduler_worker``: a scheduler process
  with a recording job.
"""
