/**
 * Progress towards a gate's minimum in words, as the sidebar, the dashboard and `paramloop status`
 * say it: "40 of 60 samples" while short of it, "544 samples (60 needed)" once past it (not "544
 * of 60"), with counts grouped by thousands ("12,500 of 20,000").
 */

/** A count or amount with its thousands grouped and `digits` decimals. */
export function amount(value: number, digits = 0): string {
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** `value` of `needed` `unit`, or `value` `unit` (`needed` needed) once it is reached. */
export function towards(value: number, needed: number, unit: string, digits = 0): string {
  const need = amount(needed, Number.isInteger(needed) ? 0 : digits);
  return value >= needed ? `${amount(value, digits)} ${unit} (${need} needed)` : `${amount(value, digits)} of ${need} ${unit}`;
}
