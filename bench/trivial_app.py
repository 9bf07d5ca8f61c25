"""The baseline: a FastAPI endpoint that does nothing (bench/raw.py)."""

from fastapi import FastAPI, Request, Response

app = FastAPI()


@app.get("/ping")
async def ping_get() -> dict[str, str]:
    return {"status": "ok"}


@app.post("/ping")
async def ping(request: Request) -> Response:
    await request.body()
    return Response("<Response/>", media_type="text/xml")
