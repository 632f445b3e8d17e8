/** Seed 000's success envelope for platform routes: `{ success: true, message, data }`. */
export function envelope<T>(data: T, message: string): { success: true; message: string; data: T } {
  return { success: true, message, data };
}
