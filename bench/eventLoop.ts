// The benches' event-loop block probe: the longest gap between ticks of a 1 ms interval, minus the
// 1 ms. `settle` waits a few milliseconds more before it stops, so a block just before is seen.
export interface DriftProbe {
  stop(): number;
  settle(): Promise<number>;
}

export function driftProbe(): DriftProbe {
  let last = performance.now();
  let worst = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    worst = Math.max(worst, now - last - 1);
    last = now;
  }, 1);
  const stop = (): number => {
    clearInterval(timer);
    return worst;
  };
  return {
    stop,
    async settle() {
      await new Promise((resolve) => setTimeout(resolve, 5));
      return stop();
    },
  };
}
