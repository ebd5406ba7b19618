"""Browser tests of the web UI: real godkend servers, real headless Chromium."""
