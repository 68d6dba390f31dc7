"""Tool calling on Hearth's /v1 API driven by the official `openai` Python package, on a
model whose template describes tools (Qwen2.5-Coder-1.5B-Instruct): a weather question
with a `get_weather(city)` tool gives a valid call, whole and through the package's
stream helper; sending the tool's result back gives an answer that uses it; a tool with a
malformed schema is a 400 naming it. Prints one JSON object with what it saw; exits
non-zero on the first check that fails.

    HEARTH_URL=http://127.0.0.1:8765 HEARTH_TOKEN=... HEARTH_MODEL=qwen-coder python openai_tools.py
"""

import json
import os
import sys

import openai

url = os.environ["HEARTH_URL"].rstrip("/") + "/v1"
client = openai.OpenAI(base_url=url, api_key=os.environ["HEARTH_TOKEN"], max_retries=0, timeout=600)
model = os.environ["HEARTH_MODEL"]
seen = {"openai_version": openai.__version__}


def check(condition, what):
    if not condition:
        print(json.dumps(seen, indent=2), file=sys.stderr)
        sys.exit(f"check failed: {what}")


tools = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "Get the current weather in a city",
            "parameters": {
                "type": "object",
                "properties": {"city": {"type": "string", "description": "The name of the city"}},
                "required": ["city"],
            },
        },
    }
]
# A 1.5B model calls the tool again after its result unless told to answer then.
system = "You are a weather assistant. When a tool response is given, answer the user in one sentence."
question = [
    {"role": "system", "content": system},
    {"role": "user", "content": "What is the weather like in Paris right now?"},
]
settings = {"model": model, "tools": tools, "temperature": 0, "seed": 7, "max_tokens": 48}

# The whole reply.
whole = client.chat.completions.create(messages=question, **settings)
message = whole.choices[0].message
seen["whole"] = message.model_dump(exclude_none=True)
seen["whole_finish_reason"] = whole.choices[0].finish_reason
check(message.tool_calls, "no tool call in the whole reply")
call = message.tool_calls[0]
check(call.type == "function" and call.function.name == "get_weather", "not a get_weather call")
check(call.id.startswith("call_"), "call id")
arguments = json.loads(call.function.arguments)
check("paris" in arguments.get("city", "").lower(), "the call is not about Paris")
check(message.content is None, "content beside the call should be null")
check(whole.choices[0].finish_reason == "tool_calls", "finish_reason")

# Streamed, through the package's own accumulation helper.
with client.chat.completions.stream(messages=question, **settings) as stream:
    kinds = [event.type for event in stream]
    final = stream.get_final_completion()
streamed = final.choices[0].message
seen["streamed"] = streamed.model_dump(exclude_none=True, exclude={"parsed"})
seen["stream_events"] = sorted(set(kinds))
check(streamed.tool_calls and len(streamed.tool_calls) == len(message.tool_calls), "the stream lost the call")
check(streamed.tool_calls[0].function.name == "get_weather", "streamed call name")
check(json.loads(streamed.tool_calls[0].function.arguments) == arguments, "stream and whole calls differ")
check(final.choices[0].finish_reason == "tool_calls", "streamed finish_reason")
check("tool_calls.function.arguments.done" in kinds, "the helper saw no finished call")

# The tool's result back: the answer uses it.
result = {"city": "Paris", "temperature_c": 23, "condition": "sunny"}
followup = question + [
    {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {"id": call.id, "type": "function", "function": {"name": "get_weather", "arguments": call.function.arguments}}
        ],
    },
    {"role": "tool", "tool_call_id": call.id, "content": json.dumps(result)},
]
answer = client.chat.completions.create(messages=followup, **{**settings, "max_tokens": 40})
text = answer.choices[0].message.content or ""
seen["answer"] = text
check(not answer.choices[0].message.tool_calls, "called again instead of answering")
check("23" in text, "the answer does not use the tool's result")

# A malformed schema is refused, naming the tool.
broken = {
    "type": "function",
    "function": {"name": "broken_tool", "parameters": {"type": "object", "properties": {"x": {"type": "nonsense"}}}},
}
try:
    client.chat.completions.create(messages=question, **{**settings, "tools": tools + [broken]})
    check(False, "a malformed schema was accepted")
except openai.BadRequestError as error:
    seen["bad_schema"] = error.message
    check(error.body.get("param") == "tools[1].function.parameters", "the error does not name the parameters")
    check("broken_tool" in error.message, "the error does not name the tool")

print(json.dumps(seen))
