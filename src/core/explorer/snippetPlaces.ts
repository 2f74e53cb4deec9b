/** The stretch of the sample a snippet shows, and the file it is cut from. */
export interface PlaceWindow {
  path: string;
  from: number;
  to: number;
}

/**
 * Up to `count` of `candidates` (strongest first) for snippets that each
 * show something else: the strongest of each file first, then the next
 * strongest wherever they are, never two whose windows overlap. Listed
 * strongest first.
 */
export function spreadPlaces<T extends { at: number }>(candidates: readonly T[], windowOf: (at: number) => PlaceWindow, count: number): T[] {
  const kept = new Set<T>();
  const windows: PlaceWindow[] = [];
  const files = new Set<string>();
  for (const oneFileEach of [true, false]) {
    for (const place of candidates) {
      if (kept.size === count) break;
      const window = windowOf(place.at);
      if (kept.has(place) || (oneFileEach && files.has(window.path)) || windows.some((w) => overlap(w, window))) continue;
      kept.add(place);
      windows.push(window);
      files.add(window.path);
    }
  }
  return candidates.filter((p) => kept.has(p));
}

/** `places` in order, less any whose window overlaps that of one before it (two snippets of the same text). */
export function distinctPlaces<T extends { at: number }>(places: readonly T[], windowOf: (at: number) => PlaceWindow): T[] {
  const windows: PlaceWindow[] = [];
  return places.filter((place) => {
    const window = windowOf(place.at);
    if (windows.some((w) => overlap(w, window))) return false;
    windows.push(window);
    return true;
  });
}

const overlap = (a: PlaceWindow, b: PlaceWindow): boolean => a.path === b.path && a.from < b.to && b.from < a.to;
