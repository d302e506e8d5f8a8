/** The events the core pushes to its shells (install progress, library and status changes). */
import type { AppEvent, AppEventName, AppEvents, AppEventSource } from '../../shared/app-api/app-api.ts';

export class CoreEvents implements AppEventSource {
  private readonly listeners = new Set<(event: AppEvent) => void>();

  subscribe(listener: (event: AppEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit<K extends AppEventName>(name: K, payload: AppEvents[K]): void {
    for (const listener of this.listeners) listener({ name, payload } as AppEvent);
  }

  clear(): void {
    this.listeners.clear();
  }
}
