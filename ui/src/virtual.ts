// A Preact hook around @tanstack/virtual-core: long lists (the sidebar's thousands of
// conversations) keep only the rows in and near view in the DOM, so opening and scrolling
// them costs the same for ten conversations as for ten thousand. The core does the
// arithmetic (which rows, where); this hook ties it to a component's life: the
// virtualizer is made once, gets the latest options on every render, watches its scroll
// element from mount to unmount, and re-renders the component when the rows in view change.

import { useLayoutEffect, useReducer, useState } from "preact/hooks";
import {
  Virtualizer,
  defaultRangeExtractor,
  elementScroll,
  observeElementOffset,
  observeElementRect,
  type PartialKeys,
  type Range,
  type VirtualizerOptions,
} from "@tanstack/virtual-core";

export type { Range, VirtualItem } from "@tanstack/virtual-core";

/** The core's options, less the three that say how to watch and scroll an element (the
 * hook gives those). */
export type VirtualListOptions<S extends Element, I extends Element> = PartialKeys<
  VirtualizerOptions<S, I>,
  "observeElementRect" | "observeElementOffset" | "scrollToFn"
>;

/** A virtualizer for a list scrolled by an element (`getScrollElement`). */
export function useVirtualizer<S extends Element, I extends Element>(options: VirtualListOptions<S, I>): Virtualizer<S, I> {
  const [, rerender] = useReducer((n: number) => n + 1, 0);
  const resolved: VirtualizerOptions<S, I> = {
    observeElementRect,
    observeElementOffset,
    scrollToFn: elementScroll,
    ...options,
    onChange: (instance, sync) => {
      rerender(undefined);
      options.onChange?.(instance, sync);
    },
  };
  const [virtualizer] = useState(() => new Virtualizer<S, I>(resolved));
  virtualizer.setOptions(resolved);
  useLayoutEffect(() => virtualizer._didMount(), []);
  useLayoutEffect(() => virtualizer._willUpdate());
  return virtualizer;
}

/** A range extractor that also keeps `kept` rows (the focused one, one being renamed,
 * one with its menu open) in the DOM while they are scrolled out of view, so focus,
 * typing and open menus survive scrolling. */
export function keepingRows(kept: (number | null | undefined)[]): (range: Range) => number[] {
  return (range) => {
    const rows = defaultRangeExtractor(range);
    const extra = kept.filter((i): i is number => i != null && i >= 0 && i < range.count && !rows.includes(i));
    return extra.length ? [...rows, ...extra].sort((a, b) => a - b) : rows;
  };
}
