-- bench/create-schema.lua: wrk script for bench/schema.sh. Every request POSTs a new record
-- (server-chosen id) that satisfies the 20-property schema of bench/schema.sh; the same body
-- goes to the collection without a schema, so the two runs differ only by validation.
-- The Authorization header comes from wrk's -H option, the collection from the URL.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = [[{"data": {
  "title": "benchmark record",
  "done": false,
  "n": 42,
  "score": 87.5,
  "email": "someone@example.org",
  "slug": "bench-record-42",
  "color": "green",
  "priority": 3,
  "tags": ["alpha", "beta", "gamma"],
  "ratio": 0.75,
  "created": "2024-05-01T12:00:00Z",
  "version": "1.23.0",
  "owner": "bench",
  "count": 7,
  "lang": "en-GB",
  "public": true,
  "parent": null,
  "meta": {"source": "wrk", "size": 2048, "checksum": "0badc0de"},
  "points": [{"x": 1, "y": 2}, {"x": 3.5, "y": -4}],
  "note": "a record that satisfies every constraint of the schema"
}}]]
