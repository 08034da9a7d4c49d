/**
 * The viewer's one door to the data: a typed client of the local API server (src/server/routes.ts). The token
 * travels in the HttpOnly cookie set by the first page load, so nothing here ever holds it.
 *
 *   const api = new ApiClient();
 *   const { records } = await api.records();
 *   const plane = await api.slice(records[0].id, 'z', 10, 0, signal);   // { rows, cols, data }
 */
import type {
  Axis,
  JobEvent,
  JobInfo,
  JobRequest,
  JobProgress,
  Plane,
  RecordInfo,
  RecordMeta,
  Shape3,
  Volume,
} from '../api/index.js';

export type { Axis, JobEvent, JobInfo, JobProgress, Plane, RecordInfo, RecordMeta, Shape3, Volume };

/** A failed API call, with the server's one-line reason. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly path: string,
    message: string,
  ) {
    super(`${path}: ${message}`);
    this.name = 'ApiError';
  }
}

export class ApiClient {
  constructor(private readonly base = '') {}

  private async get(path: string, signal?: AbortSignal): Promise<Response> {
    const res = await fetch(this.base + path, { signal, credentials: 'same-origin' });
    if (!res.ok) {
      let reason = res.statusText;
      try {
        reason = ((await res.json()) as { error?: string }).error ?? reason;
      } catch {
        /* not JSON */
      }
      throw new ApiError(res.status, path, reason);
    }
    return res;
  }

  private async send(method: string, path: string, body?: unknown): Promise<unknown> {
    const res = await fetch(this.base + path, {
      method,
      credentials: 'same-origin',
      headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = (await res.json()) as { error?: string };
    if (!res.ok) throw new ApiError(res.status, path, json.error ?? res.statusText);
    return json;
  }

  async records(): Promise<{ dir: string; records: RecordInfo[] }> {
    return (await this.get('/api/records')).json() as Promise<{ dir: string; records: RecordInfo[] }>;
  }

  async slice(recordId: number, axis: Axis, index: number, level: number, signal?: AbortSignal): Promise<Plane> {
    const res = await this.get(`/api/records/${recordId}/slice?axis=${axis}&index=${index}&level=${level}`, signal);
    const [rows, cols] = (res.headers.get('X-Shape') ?? '0,0').split(',').map(Number) as [number, number];
    return { rows, cols, data: new Uint8Array(await res.arrayBuffer()) };
  }

  async region(
    recordId: number,
    level: number,
    box?: { z: [number, number]; y: [number, number]; x: [number, number] },
    signal?: AbortSignal,
  ): Promise<Volume> {
    const q = box ? `&z=${box.z.join(',')}&y=${box.y.join(',')}&x=${box.x.join(',')}` : '';
    const res = await this.get(`/api/records/${recordId}/region?level=${level}${q}`, signal);
    const shape = (res.headers.get('X-Shape') ?? '0,0,0').split(',').map(Number) as Shape3;
    return {
      shape,
      data: new Uint8Array(await res.arrayBuffer()),
      level,
      offset: box ? [box.z[0], box.y[0], box.x[0]] : [0, 0, 0],
    };
  }

  /** Text of a record attachment (e.g. 'mesh.obj'), or undefined when the record has none. */
  async attachmentText(recordId: number, name: string, signal?: AbortSignal): Promise<string | undefined> {
    try {
      return await (await this.get(`/api/records/${recordId}/attachments/${encodeURIComponent(name)}`, signal)).text();
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) return undefined;
      throw e;
    }
  }

  async readings(): Promise<string[]> {
    return ((await (await this.get('/api/readings')).json()) as { files: string[] }).files;
  }

  async fileJson<T>(relPath: string): Promise<T> {
    return (await this.get(`/api/files?path=${encodeURIComponent(relPath)}`)).json() as Promise<T>;
  }

  async viewState<T>(): Promise<Partial<T>> {
    return (await this.get('/api/view-state')).json() as Promise<Partial<T>>;
  }

  async saveViewState(state: unknown): Promise<void> {
    await this.send('PUT', '/api/view-state', state);
  }

  async jobs(): Promise<JobInfo[]> {
    return ((await (await this.get('/api/jobs')).json()) as { jobs: JobInfo[] }).jobs;
  }

  /** Start a typed job (src/api/job-spec.ts); the server refuses options it does not know and paths outside. */
  async startJob(request: JobRequest): Promise<JobInfo> {
    return (await this.send('POST', '/api/jobs', request)) as JobInfo;
  }

  async cancelJob(id: string): Promise<JobInfo> {
    return (await this.send('DELETE', `/api/jobs/${encodeURIComponent(id)}`)) as JobInfo;
  }

  /** Stream a job's events (past ones first). Returns a function that stops listening. */
  followJob(id: string, onEvent: (e: JobEvent) => void): () => void {
    const source = new EventSource(`${this.base}/api/jobs/${encodeURIComponent(id)}/events`);
    const handler = (m: MessageEvent<string>) => {
      const e = JSON.parse(m.data) as JobEvent;
      onEvent(e);
      if (e.type === 'end') source.close();
    };
    for (const t of ['progress', 'log', 'end']) source.addEventListener(t, handler as EventListener);
    return () => source.close();
  }
}
