/** Placeholder for functions whose implementation lands in a following commit (removed then). */
export function notImplemented(name: string): never {
  throw new Error(`${name} is not implemented yet`);
}
