#!/usr/bin/env python3
"""Reference renderings of real chat templates, made the way Hugging Face transformers
makes them, for crates/hearth-llm/tests/chat_templates.rs to compare Hearth's against.

Every template in .testdata/chat-templates/*.jinja (scripts/fetch-test-templates.sh puts
llama.cpp's collection there) is rendered with every conversation of
tests/templates/conversations.json. The environment is transformers 5.25's
`_cached_compile_jinja_template` (utils/chat_template_utils.py): an
ImmutableSandboxedEnvironment with trim_blocks, lstrip_blocks and loop controls, its own
`tojson` (json.dumps, not HTML-escaped), `raise_exception`, `strftime_now`, `dict` and a
namespace that refuses underscore names. The variables are the ones transformers'
`apply_chat_template` passes: messages (None-valued keys dropped, reasoning aliased to
`thinking` and `reasoning_content`), tools (None when there are none), documents (None),
add_generation_prompt, the special tokens, and the extra keyword arguments
(enable_thinking, reasoning_effort) only when a conversation sets them.

The messages are turned from Hearth's shape into the OpenAI shape here independently of
Hearth's Rust code, following the same rules (llama.cpp's common/chat.cpp): a tool call's
arguments are passed as a compact JSON string, unless a probe shows the template only
reads them as a mapping (after llama.cpp's capability probe: with the string the template
fails, or its key never appears as JSON text, while with the mapping it renders and the
key appears); then they are passed as the mapping.

`strftime_now` answers for a fixed moment (the file's "now") so the output is the same
every day; Hearth's test gives its formatter the same moment.

Writes .testdata/chat-templates.expected.json: for each template and conversation either
{"text": ...} or {"error": ...}. Needs jinja2 3.1.6 (scripts/fetch-test-templates.sh
installs it).
"""

import datetime
import json
import pathlib
import sys

try:
    import jinja2
    import jinja2.ext
    from jinja2.sandbox import ImmutableSandboxedEnvironment
except ImportError:
    sys.exit("error: jinja2 is missing; run scripts/fetch-test-templates.sh, which installs it")

JINJA2_VERSION = "3.1.6"
ROOT = pathlib.Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / ".testdata" / "chat-templates"
CONVERSATIONS = ROOT / "tests" / "templates" / "conversations.json"
OUTPUT = ROOT / ".testdata" / "chat-templates.expected.json"

# The probe of whether a template wants tool-call arguments as a mapping (llama.cpp's
# minja chat_template capability check, with its needle).
PROBE_KEY = "argument_needle"
PROBE_ARGUMENTS = {PROBE_KEY: "print('Hello, World!')"}


def compile_template(source, now):
    """transformers' environment, with the clock fixed at `now`."""

    def raise_exception(message):
        raise jinja2.exceptions.TemplateError(message)

    def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
        return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)

    def strftime_now(format):
        return now.strftime(format)

    class TemplateDict:
        def __call__(self, *args, **kwargs):
            return dict(*args, **kwargs)

        def fromkeys(self, *args, **kwargs):
            return dict.fromkeys(*args, **kwargs)

    class TemplateNamespace(jinja2.utils.Namespace):
        def __init__(*args, **kwargs):
            self, args = args[0], args[1:]
            attrs = dict(*args, **kwargs)
            for name in attrs:
                TemplateNamespace._check_name(name)
            jinja2.utils.Namespace.__init__(self, attrs)

        def __setitem__(self, name, value):
            TemplateNamespace._check_name(name)
            jinja2.utils.Namespace.__setitem__(self, name, value)

        @staticmethod
        def _check_name(name):
            if isinstance(name, str) and name.startswith("_"):
                raise jinja2.exceptions.SecurityError(
                    f"Chat templates cannot store underscore-prefixed attributes on a namespace, but got {name!r}."
                )

    class GenerationBlock(jinja2.ext.Extension):
        # transformers' AssistantTracker without the tracking: `{% generation %}` renders
        # its body as it is.
        tags = {"generation"}

        def parse(self, parser):
            lineno = next(parser.stream).lineno
            body = parser.parse_statements(["name:endgeneration"], drop_needle=True)
            return jinja2.nodes.CallBlock(self.call_method("_render"), [], [], body).set_lineno(lineno)

        def _render(self, caller):
            return caller()

    env = ImmutableSandboxedEnvironment(
        trim_blocks=True, lstrip_blocks=True, extensions=[GenerationBlock, jinja2.ext.loopcontrols]
    )
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = strftime_now
    env.globals["dict"] = TemplateDict()
    env.globals["namespace"] = TemplateNamespace
    return env.from_string(source)


def openai_messages(messages, object_arguments):
    """Hearth's ChatMessage list in the shape templates read (llama.cpp's order of keys,
    then transformers' normalisation: None-valued keys dropped, reasoning aliased)."""
    out = []
    for m in messages:
        message = {"role": m["role"], "content": m.get("content", "")}
        if m["role"] == "assistant" and m.get("reasoning"):
            message["reasoning_content"] = m["reasoning"]
        if m.get("name"):
            message["name"] = m["name"]
        if m.get("tool_call_id"):
            message["tool_call_id"] = m["tool_call_id"]
        if m.get("tool_calls"):
            message["tool_calls"] = [
                {
                    "id": call["id"],
                    "type": "function",
                    "function": {
                        "name": call["name"],
                        "arguments": call["arguments"]
                        if object_arguments
                        else json.dumps(call["arguments"], separators=(",", ":"), ensure_ascii=False),
                    },
                }
                for call in m["tool_calls"]
            ]
        if "reasoning_content" in message:
            # transformers' _alias_reasoning_fields
            reasoning = message["reasoning_content"]
            message = {"thinking": reasoning, **message, "reasoning_content": reasoning}
        out.append(message)
    return out


def openai_tools(tools):
    if not tools:
        return None
    out = []
    for tool in tools:
        function = {"name": tool["name"]}
        if tool.get("description") is not None:
            function["description"] = tool["description"]
        function["parameters"] = tool.get("parameters", {"properties": {}, "type": "object"})
        out.append({"type": "function", "function": function})
    return out


def render(template, messages, tools, add_generation_prompt, setup, extra):
    return template.render(
        messages=messages,
        tools=tools,
        documents=None,
        add_generation_prompt=add_generation_prompt,
        bos_token=setup["bos_token"],
        eos_token=setup["eos_token"],
        **extra,
    )


def wants_object_arguments(template, setup):
    def attempt(arguments):
        probe = openai_messages(
            [
                {"role": "user", "content": "Hey"},
                {
                    "role": "assistant",
                    "content": "",
                    "tool_calls": [{"id": "call00001", "name": "probe_tool", "arguments": arguments}],
                },
            ],
            object_arguments=True,
        )
        try:
            return render(template, probe, None, False, setup, {})
        except Exception:
            return None

    as_object = attempt(PROBE_ARGUMENTS)
    as_string = attempt(json.dumps(PROBE_ARGUMENTS, separators=(",", ":")))
    if as_object is None:
        return False
    if as_string is None:
        return True
    # The mapping's key is written out, but the string never appears as JSON text (it is
    # dropped, or escaped a second time by tojson).
    return PROBE_KEY in as_object and f'"{PROBE_KEY}"' not in as_string


def sorted_object(pairs):
    # Hearth holds JSON in serde_json values, whose objects keep their keys sorted.
    return dict(sorted(pairs))


def main():
    if jinja2.__version__ != JINJA2_VERSION:
        sys.exit(
            f"error: jinja2 {jinja2.__version__} is installed, the reference needs {JINJA2_VERSION}; "
            "run scripts/fetch-test-templates.sh"
        )
    paths = sorted(TEMPLATES.glob("*.jinja"))
    if not paths:
        sys.exit(f"error: no templates in {TEMPLATES}; run scripts/fetch-test-templates.sh first")
    setup = json.loads(CONVERSATIONS.read_text(encoding="utf-8"), object_pairs_hook=sorted_object)
    now = datetime.datetime.fromisoformat(setup["now"])

    results = {}
    for path in paths:
        source = path.read_text(encoding="utf-8")
        template = compile_template(source, now)
        object_arguments = wants_object_arguments(template, setup)
        renders = {}
        for conversation in setup["conversations"]:
            tools = setup["tool_sets"][conversation["tools"]] if conversation.get("tools") else []
            extra = {}
            if conversation.get("enable_thinking") is not None:
                extra["enable_thinking"] = conversation["enable_thinking"]
            if conversation.get("reasoning_effort") is not None:
                extra["reasoning_effort"] = conversation["reasoning_effort"]
            try:
                text = render(
                    template,
                    openai_messages(conversation["messages"], object_arguments),
                    openai_tools(tools),
                    conversation["add_generation_prompt"],
                    setup,
                    extra,
                )
                renders[conversation["name"]] = {"text": text}
            except Exception as error:  # the template raised: Hearth must refuse it too
                renders[conversation["name"]] = {"error": f"{type(error).__name__}: {error}"}
        results[path.stem] = {"object_arguments": object_arguments, "renders": renders}

    document = {
        "generator": "tests/templates/reference.py",
        "jinja2": jinja2.__version__,
        "conversations": json.loads(CONVERSATIONS.read_text(encoding="utf-8")),
        "templates": results,
    }
    OUTPUT.write_text(json.dumps(document, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    errors = sum("error" in r for t in results.values() for r in t["renders"].values())
    total = sum(len(t["renders"]) for t in results.values())
    print(
        f"{len(results)} templates x {len(setup['conversations'])} conversations: "
        f"{total - errors} rendered, {errors} raised; written to {OUTPUT.relative_to(ROOT)}"
    )


if __name__ == "__main__":
    main()
