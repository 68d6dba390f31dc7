"""Hearth's /v1 API driven by the official `openai` Python package, as scripts and
tools use it: a whole answer, a streamed one, a JSON-schema answer, the model list,
and the errors the package turns into exceptions. Prints one JSON object with what
it saw; exits non-zero on the first check that fails.

    HEARTH_URL=http://127.0.0.1:8765 HEARTH_TOKEN=... python openai_client.py
"""

import json
import os
import sys

import openai

url = os.environ["HEARTH_URL"].rstrip("/") + "/v1"
token = os.environ["HEARTH_TOKEN"]
client = openai.OpenAI(base_url=url, api_key=token, max_retries=0)
seen = {"openai_version": openai.__version__}


def check(condition, what):
    if not condition:
        print(json.dumps(seen, indent=2), file=sys.stderr)
        sys.exit(f"check failed: {what}")


models = client.models.list()
ids = [m.id for m in models.data]
seen["models"] = ids
check(ids, "the model list is empty")
model = ids[0]

whole = client.chat.completions.create(
    model=model,
    messages=[
        {"role": "system", "content": "You are a helpful assistant."},
        {"role": "user", "content": "What is the capital of France?"},
    ],
    max_tokens=24,
    temperature=0,
    seed=42,
)
seen["whole"] = whole.choices[0].message.content
check(whole.object == "chat.completion", "object")
check(whole.choices[0].message.content.strip(), "an empty answer")
check(whole.choices[0].finish_reason in ("stop", "length"), "finish_reason")
check(whole.usage.completion_tokens >= 1, "usage")
check(whole.usage.total_tokens == whole.usage.prompt_tokens + whole.usage.completion_tokens, "total")

stream = client.chat.completions.create(
    model=model,
    messages=[
        {"role": "system", "content": "You are a helpful assistant."},
        {"role": "user", "content": "What is the capital of France?"},
    ],
    max_tokens=24,
    temperature=0,
    seed=42,
    stream=True,
    stream_options={"include_usage": True},
)
pieces, finish, usage = [], None, None
for chunk in stream:
    if chunk.usage is not None:
        usage = chunk.usage
    for choice in chunk.choices:
        if choice.delta.content:
            pieces.append(choice.delta.content)
        if choice.finish_reason:
            finish = choice.finish_reason
seen["streamed"] = "".join(pieces)
seen["chunks"] = len(pieces)
check(len(pieces) > 1, "the answer was not streamed in pieces")
check("".join(pieces) == whole.choices[0].message.content, "stream and whole answer differ")
check(finish in ("stop", "length"), "no finish_reason in the stream")
check(usage is not None and usage.completion_tokens == whole.usage.completion_tokens, "stream usage")

structured = client.chat.completions.create(
    model=model,
    messages=[{"role": "user", "content": "Describe a cat as JSON with name and age."}],
    max_tokens=60,
    temperature=0,
    response_format={
        "type": "json_schema",
        "json_schema": {
            "name": "cat",
            "schema": {
                "type": "object",
                "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
                "required": ["name", "age"],
            },
        },
    },
)
cat = json.loads(structured.choices[0].message.content)
seen["structured"] = cat
check(isinstance(cat.get("name"), str) and isinstance(cat.get("age"), int), "schema not followed")

text = client.completions.create(model=model, prompt="Once upon a time", max_tokens=8, temperature=0)
seen["completion"] = text.choices[0].text
check(text.choices[0].text, "empty completion")

try:
    client.chat.completions.create(model="no-such-model", messages=[{"role": "user", "content": "hi"}])
    check(False, "an unknown model was accepted")
except openai.NotFoundError as error:
    seen["not_found"] = error.message
    check(error.body.get("param") == "model", "the error does not name `model`")

try:
    client.chat.completions.create(model=model, messages=[{"role": "user", "content": "hi"}], temperature=-2)
    check(False, "a negative temperature was accepted")
except openai.BadRequestError as error:
    seen["bad_request"] = error.message
    check(error.body.get("param") == "temperature", "the error does not name `temperature`")

try:
    openai.OpenAI(base_url=url, api_key="wrong", max_retries=0).models.list()
    check(False, "a wrong token was accepted")
except openai.AuthenticationError as error:
    seen["unauthorized"] = error.message

print(json.dumps(seen))
