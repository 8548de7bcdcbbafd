-- bench/create.lua: wrk script for "create a record": every request POSTs a new record and
-- lets the server choose its id. The Authorization header comes from wrk's -H option.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"data": {"title": "benchmark", "done": false, "tags": ["a", "b"], "n": 42}}'
