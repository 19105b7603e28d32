from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.testclient import TestClient

from ews.api.limits import RateLimiter, RequestLimitsMiddleware


def echo_app(limit: int) -> FastAPI:
    app = FastAPI()
    app.add_middleware(
        RequestLimitsMiddleware, limit_for=lambda path: limit * (10 if path == "/big" else 1)
    )

    @app.post("/small")
    @app.post("/big")
    async def echo(request: Request) -> dict[str, int]:
        return {"bytes": len(await request.body())}

    return app


def test_a_body_over_the_limit_is_refused_with_a_clear_413() -> None:
    client = TestClient(echo_app(100))
    assert client.post("/small", content=b"x" * 100).json() == {"bytes": 100}
    response = client.post("/small", content=b"x" * 101)
    assert response.status_code == 413
    assert "límite" in response.json()["detail"]
    assert "limit" in response.json()["detail"]


def test_a_streamed_body_without_length_is_counted() -> None:
    client = TestClient(echo_app(100))

    def chunks():
        for _ in range(5):
            yield b"x" * 40

    assert client.post("/small", content=chunks()).status_code == 413


def test_the_limit_depends_on_the_path() -> None:
    client = TestClient(echo_app(100))
    assert client.post("/big", content=b"x" * 500).status_code == 200


def test_rate_limiter_refills_over_time() -> None:
    now = [0.0]
    limiter = RateLimiter(per_minute=60, clock=lambda: now[0])
    assert all(limiter.allow(1)[0] for _ in range(60))
    allowed, wait = limiter.allow(1)
    assert not allowed
    assert 0 < wait <= 1.0
    assert limiter.allow(2)[0], "another key has its own bucket"
    now[0] += 1.0
    assert limiter.allow(1)[0]
    assert not limiter.allow(1)[0]


def test_a_nul_character_in_the_query_is_refused() -> None:
    client = TestClient(echo_app(1000))
    assert client.post("/small?x=%00", content=b"{}").status_code == 400
    assert client.post("/small?x=ok", content=b'{"text": "ok"}').status_code == 200
