// When the dashboard's sections are drawn. A section on the tab shown is drawn as its answer arrives;
// a section on a hidden tab keeps the draw of its latest answer until its tab is shown, or until the
// page is idle after a full refresh, when the hidden tabs are drawn one section per idle period (each
// a few to some tens of milliseconds, never one long task for all). So the first paint draws only what
// is seen, and showing a tab finds its sections drawn or draws them from answers already at hand.

/** Runs `work` when the page is idle (Safari has no requestIdleCallback: a short timeout there). */
const whenIdle = (work: () => void): void => {
  if (typeof requestIdleCallback === 'function') requestIdleCallback(() => work());
  else setTimeout(work, 50);
};

/** The sections' draws, held or run by whether their tab is shown. */
export interface Painter {
  /** Draws `section` now if its tab is shown; else keeps `paint` (replacing an older one not yet run) for when it is. */
  draw(section: string, paint: () => void): void;
  /** `tab` has just been shown: runs the draws kept for its sections, in the page's order. */
  shown(tab: string): void;
  /** Draws `sections` again from their latest answers (a new theme): now on the tab shown, the others when shown. */
  drawAgain(sections: readonly string[]): void;
  /** Drops what `section` would draw (its request failed: its error is not drawn over). */
  forget(section: string): void;
  /** Draws the kept sections of hidden tabs in the page's idle time, one section per idle period, in the page's order. */
  drawHiddenWhenIdle(): void;
}

/**
 * `sectionTabs`: each section's tab, in the page's order; `shownTab`: the tab shown now.
 */
export function createPainter(sectionTabs: ReadonlyMap<string, string>, shownTab: () => string): Painter {
  /** Draws not run yet, by section. */
  const kept = new Map<string, () => void>();
  /** The draw of each section's latest answer, run again for a new theme. */
  const latest = new Map<string, () => void>();
  let idleScheduled = false;

  function draw(section: string, paint: () => void): void {
    latest.set(section, paint);
    if (sectionTabs.get(section) === shownTab()) {
      kept.delete(section);
      paint();
    } else kept.set(section, paint);
  }

  function runKept(section: string): void {
    const paint = kept.get(section);
    if (paint === undefined) return;
    kept.delete(section);
    paint();
  }

  function drawHiddenWhenIdle(): void {
    if (idleScheduled || kept.size === 0) return;
    idleScheduled = true;
    whenIdle(() => {
      idleScheduled = false;
      const tab = shownTab();
      // The first kept section in the page's order (those of the tab shown were drawn when it was shown).
      const next = [...sectionTabs].find(([section, on]) => on !== tab && kept.has(section))?.[0];
      if (next === undefined) return;
      runKept(next);
      drawHiddenWhenIdle();
    });
  }

  return {
    draw,
    shown(tab) {
      for (const [section, on] of sectionTabs) if (on === tab) runKept(section);
    },
    drawAgain(sections) {
      for (const section of sections) {
        const paint = latest.get(section);
        if (paint !== undefined) draw(section, paint);
      }
    },
    forget(section) {
      kept.delete(section);
      latest.delete(section);
    },
    drawHiddenWhenIdle,
  };
}
