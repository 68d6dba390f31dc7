// The chat's header: its title, how full the model's context is, the model picker, and
// the button to the chat's settings drawer (chat-settings), with a chip for each setting
// that changes the answers (documents, adapter, thinking, tools off, sampling) so none
// is hidden behind the drawer.

import { SlidersHorizontal } from "lucide-preact";
import type { ConversationView, ModelEntry, Provider } from "./api";
import { ModelOptions } from "./model-options";
import { contextFullness, count } from "./format";
import type { ChatSampling } from "./chat-settings";

interface Props {
  /** The conversation shown; none for a new chat. */
  conversationId?: string;
  view: ConversationView | null;
  model: string;
  models: ModelEntry[];
  providers: Provider[];
  sampling: ChatSampling;
  /** The settings drawer is open. */
  settingsOpen: boolean;
  onModel: (model: string) => void;
  onOpenSettings: () => void;
}

export function ChatToolbar({ conversationId: id, view, model, models, providers, sampling, settingsOpen, onModel, onOpenSettings }: Props) {
  const title = view?.conversation.title;
  const chips = settingChips(view, sampling);
  return (
    <header class="toolbar">
      <h1 class={title ? "" : "untitled"}>{title || (id ? "Untitled conversation" : "New chat")}</h1>
      {id && <ContextMeter view={view} />}
      {chips.length > 0 && (
        <ul class="setting-chips" aria-label="Settings of this chat">
          {chips.map((chip) => (
            <li key={chip}>
              <button type="button" class="chip" onClick={onOpenSettings}>
                {chip}
              </button>
            </li>
          ))}
        </ul>
      )}
      <select class="model-picker" value={model} onChange={(e) => onModel((e.target as HTMLSelectElement).value)} aria-label="Model">
        <ModelOptions models={models} providers={providers} value={model} />
      </select>
      <button type="button" class="ghost icon-only" aria-label="Chat settings" title="Chat settings" aria-haspopup="dialog" aria-expanded={settingsOpen} onClick={onOpenSettings}>
        <SlidersHorizontal size={18} aria-hidden="true" />
      </button>
    </header>
  );
}

/** The settings that change this chat's answers, as short chips for the header. */
export function settingChips(view: ConversationView | null, sampling: ChatSampling): string[] {
  const settings = view?.conversation.settings;
  const chips: string[] = [];
  if (settings?.collection) chips.push(`Documents: ${settings.collection}`);
  if (settings?.adapter) chips.push("Adapter");
  if (settings?.thinking === true) chips.push("Thinking on");
  if (settings?.thinking === false) chips.push("Thinking off");
  if (settings?.tools === false && (view?.tool_servers ?? 0) > 0) chips.push("Tools off");
  if (sampling.temperature !== undefined) chips.push(`Temperature ${sampling.temperature}`);
  if (sampling.max_tokens !== undefined) chips.push(`Up to ${sampling.max_tokens} tokens`);
  return chips;
}

/** How much of the model's context the conversation took at its latest answer, and
 * whether older turns were folded into a summary to make it fit. */
function ContextMeter({ view }: { view: ConversationView | null }) {
  const fullness = contextFullness(view);
  const folded = (view?.summaries.length ?? 0) > 0;
  if (!fullness && !folded) return null;
  const percent = fullness ? Math.round(fullness.share * 100) : null;
  const detail = [
    fullness ? `${fullness.used.toLocaleString()} of ${fullness.limit.toLocaleString()} tokens of the model's context at the latest answer` : "",
    folded ? `Older turns were summarized to fit (${count(view!.summaries.length, "summary", "summaries")}); the summary stands in for them` : "",
  ]
    .filter(Boolean)
    .join(". ");
  return (
    <span class={`context-meter ${folded || (fullness && fullness.share > 0.8) ? "full" : ""}`} title={detail}>
      {fullness && <meter min={0} max={1} low={0.6} high={0.8} optimum={0} value={fullness.share} aria-label="Context used" aria-valuetext={`${percent}%`} />}
      <span>
        {percent !== null && `Context ${percent}%`}
        {folded && (percent !== null ? " · older turns summarized" : "Older turns summarized")}
      </span>
      <span class="visually-hidden">{detail}</span>
    </span>
  );
}
