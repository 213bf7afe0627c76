/** Business events the services report as they happen; the metrics count them. */
export interface OrderEvents {
  created(): void;
  paid(): void;
  shipped(): void;
  received(): void;
  cancelled(reason: 'buyer' | 'timeout', count?: number): void;
}
