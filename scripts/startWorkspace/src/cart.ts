// A small shopping cart: a sample file for Paramloop's planning commands.

export interface CartLine {
  readonly sku: string;
  readonly unitPrice: number;
  readonly quantity: number;
}

export interface Discount {
  /** Percentage off the subtotal, 0–100. */
  readonly percent: number;
  /** The discount applies only from this subtotal on. */
  readonly minimumSubtotal: number;
}

/**
 * The amount to pay for a cart, in cents: the sum of the lines, less the discount when the subtotal
 * reaches its minimum, plus shipping (free from 5000 cents on, else 499).
 */
export function cartTotal(lines: readonly CartLine[], discount?: Discount): number {
  let subtotal = 0;
  for (const line of lines) {
    if (line.quantity <= 0) throw new RangeError(`quantity of ${line.sku} must be positive`);
    subtotal += line.unitPrice * line.quantity;
  }
  // TODO: support discount codes that expire, and refuse a code used twice in the same cart
  const off = discount && subtotal >= discount.minimumSubtotal ? Math.round((subtotal * discount.percent) / 100) : 0;
  const shipping = subtotal - off >= 5000 ? 0 : 499;
  return subtotal - off + shipping;
}
