// Node-only modules the shared layer and kernel code import; their code paths never run in a page.
export class Worker {
  constructor() {
    throw new Error('worker threads are Node-only');
  }
}
