/**
 * The base of every error a Pantheon lib or app throws on purpose. `code` is a SCREAMING_SNAKE string from
 * the throwing module's own enum; each API surface (HTTP, socket, LLM gateway) maps every code exhaustively
 * in one place, so a new code that nobody maps fails the build rather than becoming a silent 500.
 *
 * Invariant for subclasses: messages are safe to log and to show (no key material, no raw upstream bodies).
 */
export abstract class CodedError<C extends string = string> extends Error {
  constructor(
    readonly code: C,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}
