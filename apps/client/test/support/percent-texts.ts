/** Percent texts back to tenths, so a test can add them up exactly. */
export const tenths = (texts: Iterable<string>) =>
  [...texts].reduce((sum, t) => sum + Math.round(Number(t.replace("%", "")) * 10), 0);
