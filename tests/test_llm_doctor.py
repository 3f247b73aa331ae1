"""``ainews doctor`` on the optional answer model: off, half set, down, not listed, ready."""

from __future__ import annotations

import json
from pathlib import Path

from fakes.llm import FakeModel
from test_doctor import ainews, clean_env

from bot.doctor import Doctor
from bot.settings import load_settings


def llm_check(**values: object) -> tuple[str, str, list[str]]:
    check = Doctor(load_settings(**values), quick=True, commands=set()).check_llm()
    return check.status, check.summary, check.hints


def test_the_model_endpoint_and_its_listing() -> None:
    assert llm_check()[0] == "note"
    assert llm_check(llm_url="http://127.0.0.1:9/v1")[:2] == (
        "warn",
        "off: AINEWS_LLM_MODEL is not set",
    )
    with FakeModel() as fake:
        status, summary, _ = llm_check(llm_url=fake.base_url, llm_model=fake.model)
        assert status == "ok" and f"{fake.model} listed at {fake.base_url}" in summary
        status, summary, hints = llm_check(llm_url=fake.base_url, llm_model="llama3:70b")
        assert status == "warn" and fake.model in summary and "ollama pull llama3:70b" in hints[0]
        assert fake.model_listings == 2
        url = fake.base_url
    status, summary, _ = llm_check(llm_url=url, llm_model="qwen2.5:3b-instruct")
    assert status == "warn" and "does not answer GET /models" in summary


def test_doctor_json_reports_the_model(tmp_path: Path) -> None:
    with FakeModel() as fake:
        env = clean_env(AINEWS_LLM_URL=fake.base_url, AINEWS_LLM_MODEL=fake.model)
        proc = ainews("doctor", "--quick", "--json", cwd=tmp_path, env=env)
    assert proc.returncode == 0, proc.stderr
    areas = {c["area"]: c for c in json.loads(proc.stdout)["checks"]}
    assert areas["llm"]["status"] == "ok"
