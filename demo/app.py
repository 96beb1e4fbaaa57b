"""The demo's backend: a small FastAPI app that contains no authentication code at all.

nginx in front of it verifies the bearer token (auth_jwt) and forwards the caller's identity in
X-Auth-* request headers; it also strips any X-Auth-* header the client sent itself
(edge_auth_scrub_headers), so the app can trust these headers as long as it is reachable only
through nginx (it listens on 127.0.0.1).
"""

from fastapi import FastAPI, Request

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
}


def identity(request: Request) -> dict:
    """The caller as nginx described it; None for anything nginx did not send."""
    who = {field: request.headers.get(header) for header, field in IDENTITY_HEADERS.items()}
    # OAuth scopes travel as one space-separated string.
    who["scopes"] = who["scopes"].split() if who["scopes"] else []
    return who


@app.get("/health")
def health() -> dict:
    return {"status": "ok"}


@app.get("/api/whoami")
def whoami(request: Request) -> dict:
    # Every X-Auth-* header that reached the app, to show that client-sent ones never do.
    received = {k: v for k, v in request.headers.items() if k.lower().startswith("x-auth-")}
    return {"identity": identity(request), "x_auth_headers": received}


@app.get("/api/hello")
def hello(request: Request) -> dict:
    who = identity(request)
    return {"message": f"Hello, {who['name'] or who['subject'] or 'stranger'}!"}
