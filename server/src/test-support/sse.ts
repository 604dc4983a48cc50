/** Reads a Server-Sent Events response as text, as far as the test needs it. */
export function sseReader(response: Response): { read(needle: string): Promise<void>; text(): string } {
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let text = '';
  return {
    /** Reads on until the stream so far contains `needle`. */
    async read(needle: string) {
      while (!text.includes(needle)) {
        const { value, done } = await reader.read();
        if (done) throw new Error('stream ended');
        text += decoder.decode(value, { stream: true });
      }
    },
    text: () => text,
  };
}
