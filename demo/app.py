"""The demo's backend: a small FastAPI app that contains no authentication code at all.

nginx in front of it does all of it and forwards the caller's identity in X-Auth-* request
headers:
  /        the pages: nginx signs the user in with OpenID Connect (auth_oidc) and keeps the
           session in a sealed cookie; the app only reads the headers
  /api/    the API: nginx verifies the bearer token (auth_jwt)
nginx also strips any X-Auth-* header the client sent itself (edge_auth_scrub_headers), so the
app can trust these headers as long as it is reachable only through nginx (it listens on
127.0.0.1).
"""

from html import escape

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse

app = FastAPI(title="edge-auth demo app")

# Header set by nginx -> field name in the JSON answers.
IDENTITY_HEADERS = {
    "x-auth-subject": "subject",
    "x-auth-email": "email",
    "x-auth-name": "name",
    "x-auth-issuer": "issuer",
    "x-auth-audience": "audience",
    "x-auth-scopes": "scopes",
    "x-auth-expires": "expires",
    "x-auth-session-id": "session_id",
}


def identity(request: Request) -> dict:
    """The caller as nginx described it; None for anything nginx did not send."""
    who = {field: request.headers.get(header) for header, field in IDENTITY_HEADERS.items()}
    # OAuth scopes travel as one space-separated string.
    who["scopes"] = who["scopes"].split() if who["scopes"] else []
    return who


def received_x_auth(request: Request) -> dict:
    """Every X-Auth-* header that reached the app, to show that client-sent ones never do."""
    return {k: v for k, v in request.headers.items() if k.lower().startswith("x-auth-")}


@app.get("/health")
def health() -> dict:
    return {"status": "ok"}


@app.get("/", response_class=HTMLResponse)
def home(request: Request) -> str:
    """The page a signed-in browser lands on. nginx only lets signed-in users get here."""
    who = identity(request)
    rows = "".join(
        f"<tr><th>{escape(label)}</th><td><code>{escape(value or '-')}</code></td></tr>"
        for label, value in (
            ("subject (sub)", who["subject"]),
            ("email", who["email"]),
            ("name", who["name"]),
            ("issuer", who["issuer"]),
            ("session id", who["session_id"]),
        )
    )
    headers = "".join(
        f"<li><code>{escape(k)}: {escape(v)}</code></li>" for k, v in sorted(received_x_auth(request).items())
    )
    name = who["name"] or who["subject"] or "stranger"
    return f"""<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>edge-auth demo</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 44rem; margin: 3rem auto; line-height: 1.5; }}
th {{ text-align: left; padding-right: 1.5rem; font-weight: 600; }}
code {{ background: #f3f3f3; padding: 0 .25rem; }}
</style></head>
<body>
<h1>Hello, {escape(name)}!</h1>
<p>You are signed in as <strong id="subject">{escape(who["subject"] or "")}</strong>.
nginx did the whole OpenID Connect login and keeps your session in a sealed cookie; this app has
no login code and only read these request headers from nginx:</p>
<table>{rows}</table>
<p>All <code>X-Auth-*</code> headers that reached the app:</p>
<ul>{headers}</ul>
</body>
</html>
"""


@app.get("/api/whoami")
def whoami(request: Request) -> dict:
    return {"identity": identity(request), "x_auth_headers": received_x_auth(request)}


@app.get("/api/hello")
def hello(request: Request) -> dict:
    who = identity(request)
    return {"message": f"Hello, {who['name'] or who['subject'] or 'stranger'}!"}
