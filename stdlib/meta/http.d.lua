---@meta
-- Declarations of `lab.http`, HTTP over libcurl, for editors (LuaLS) and for
-- help() at the labsh prompt.

---HTTP requests over libcurl (loaded on first use). Defaults: connect
---timeout 5 s, total 30 s, TLS verified, redirects followed (at most 5),
---body at most 64 MiB. Under --memory-limit a body (or the bodies of a
---`parallel` batch together) must also fit in what the limit leaves.
---Redirects keep secrets with their origin: on a hop to another scheme, host
---or port, the request's headers, auth and body are dropped (unless
---`trust_redirects = true`), and https never redirects to http.
---A failure raises an error object of kind "http" with
---`url`, `method`, `reason` ("connect", "timeout", "tls", "too_large",
---"interrupted", "status", "protocol") and, for a status >= 400, `status`
---and `body` (its first 64 KiB): `GET http://host/x: 503 Service
---Unavailable: <first line of the body>`.
---Under --dry-run a write (any method but GET, HEAD and OPTIONS) is not
---sent unless the request says `read_only = true`: labsh says "dry run:
---would POST URL" on stderr, audits it as a dry-run entry and returns
---`{dry_run = true, method =, url =, body = ""}` with no status (never a
---success). lab.http.parallel does the same per request, in its place.
lab.http = {}

---What `lab.http.request` takes. `query` values may be lists (`{tag = {"a",
---"b"}}`); names are sorted, so the URL is the same every time.
---@class lab.HTTPRequest
---@field url string
---@field method string? GET (default), POST, PUT, DELETE, HEAD, PATCH...
---@field query table<string, string|number|boolean|(string|number)[]>? appended URL-encoded
---@field headers table<string, string>?
---@field body string? bytes to send
---@field json any? sent as JSON (lab.json.encode), with Content-Type: application/json
---@field timeout number? seconds for the whole attempt, redirects included (30); 0.001 to 1000000, else an error
---@field connect_timeout number? seconds to connect (5); 0.001 to 1000000, else an error
---@field auth {basic: {[1]: string, [2]: string}}|{bearer: string}? basic = {user, password}, or a bearer token
---@field ca_file string? PEM file of the CA to trust instead of the system's
---@field insecure boolean? skip TLS verification (warns once on stderr)
---@field max_bytes integer? body cap in bytes (64 MiB; less if --memory-limit leaves less); over it, or a Content-Length over it: reason "too_large"
---@field retries integer? extra attempts for GET, HEAD, PUT, DELETE, OPTIONS after a connection error, 429 or 5xx, with backoff (0)
---@field raise_status boolean? false: a status >= 400 is returned, not raised (true)
---@field read_only boolean? true: this write only reads (a query sent as POST), so --dry-run sends it
---@field trust_redirects boolean? true: a redirect to another origin gets this request's headers, auth and body too (false: they are dropped there; https to http is refused either way)

---A response: the final one after redirects.
---@class lab.HTTPResponse
---@field status integer
---@field headers table<string, string> lower-cased names; repeated ones joined with ", "
---@field body string bytes
---@field elapsed number seconds, retries included
---@field url string the final URL, after redirects
---@field dry_run true? --dry-run did not send it (a write without read_only): status is nil, never a success
local HTTPResponse = {}

---The body decoded as JSON (lab.json.decode).
---@return any value
function HTTPResponse:json() end

---Sends a request, e.g. `lab.http.request{method = "POST", url = u, json = {a = 1}}`.
---@param request lab.HTTPRequest
---@return lab.HTTPResponse response
function lab.http.request(request) end

---GET `url`; `opts` as for lab.http.request, e.g. `{query = {q = "up"}}`.
---@param url string
---@param opts lab.HTTPRequest?
---@return lab.HTTPResponse response
function lab.http.get(url, opts) end

---POST to `url`; give `opts.body` or `opts.json`.
---@param url string
---@param opts lab.HTTPRequest?
---@return lab.HTTPResponse response
function lab.http.post(url, opts) end

---PUT to `url`; give `opts.body` or `opts.json`.
---@param url string
---@param opts lab.HTTPRequest?
---@return lab.HTTPResponse response
function lab.http.put(url, opts) end

---DELETE `url`.
---@param url string
---@param opts lab.HTTPRequest?
---@return lab.HTTPResponse response
function lab.http.delete(url, opts) end

---Runs many requests at once (at most `opts.max`, default 10) and returns a
---result per request, in order: a response, or the error object it would
---have raised (a failure never fails the batch). Each request is a URL (GET)
---or a table as for lab.http.request. The bodies together are bounded by
---`opts.max_total_bytes` (256 MiB, less if --memory-limit leaves less): a
---transfer that would pass it stops with reason "too_large", the others go
---on. On a terminal, a progress bar shows on stderr when the batch takes over
---a second.
---@param requests (string|lab.HTTPRequest)[]
---@param opts {max: integer?, max_total_bytes: integer?}?
---@return (lab.HTTPResponse|table)[] results
function lab.http.parallel(requests, opts) end

---`text` percent-encoded as curl does it (every byte but letters, digits and
---`- . _ ~`): safe as one URL path segment or query value.
---@param text string
---@return string
function lab.http.escape(text) end
