/**
 * Typed events with disposable listeners, and `node:diagnostics_channel` publishing, for every
 * policy, resolver and server. A listener that throws never breaks the code that emitted.
 */
import diagnostics from 'node:diagnostics_channel';

/** Something that can be released, such as an event subscription. */
export interface Disposable {
  /** Releases it; calling twice does nothing. */
  dispose(): void;
}

/** A listener for events of type `T`. */
export type Listener<T> = (event: T) => void;

/**
 * A typed event source. `on` returns a {@link Disposable} that removes the listener.
 *
 * @example
 * const opened = new Emitter<{ failures: number }>();
 * const sub = opened.on((e) => console.log('opened after', e.failures));
 * opened.emit({ failures: 5 });
 * sub.dispose();
 */
export class Emitter<T> {
  #listeners: Listener<T>[] = [];

  /** Subscribes `listener`; returns a handle that unsubscribes it. */
  on(listener: Listener<T>): Disposable {
    this.#listeners = [...this.#listeners, listener];
    return {
      dispose: () => {
        this.#listeners = this.#listeners.filter((l) => l !== listener);
      },
    };
  }

  /** Subscribes `listener` for the next event only. */
  once(listener: Listener<T>): Disposable {
    const sub = this.on((event) => {
      sub.dispose();
      listener(event);
    });
    return sub;
  }

  /** Whether anyone listens: lets hot paths skip building an event object. */
  get hasListeners(): boolean {
    return this.#listeners.length > 0;
  }

  /** Delivers `event` to every listener. A throwing listener is reported on `process` and skipped. */
  emit(event: T): void {
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch (error) {
        process.emitWarning(`failsmall: an event listener threw: ${String(error)}`, 'FailsmallListenerWarning');
      }
    }
  }
}

/**
 * A named `node:diagnostics_channel` channel, `failsmall:<module>:<event>`. APM tools subscribe to it
 * without touching your code. Publishing costs nothing when nobody subscribes.
 */
export function channel(module: string, event: string): diagnostics.Channel {
  return diagnostics.channel(`failsmall:${module}:${event}`);
}
