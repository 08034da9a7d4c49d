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

export type { Axis, JobEvent, JobInfo, JobProgress, JobRequest, Plane, RecordInfo, RecordMeta, Shape3, Volume };

/** A file under `<corpus>/exports` (src/server/uploads.ts). */
export interface ExportFile {
  path: string;
  bytes: number;
  modified: string;
}

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

  async fileText(relPath: string, signal?: AbortSignal): Promise<string> {
    return (await this.get(`/api/files?path=${encodeURIComponent(relPath)}`, signal)).text();
  }

  /** Address of a corpus file for a link; `download` makes the browser save it under its own name. */
  fileUrl(relPath: string, download = false): string {
    return `${this.base}/api/files?path=${encodeURIComponent(relPath)}${download ? '&download=1' : ''}`;
  }

  async exports(): Promise<ExportFile[]> {
    return ((await (await this.get('/api/exports')).json()) as { files: ExportFile[] }).files;
  }

  async models(): Promise<string[]> {
    return ((await (await this.get('/api/models')).json()) as { models: string[] }).models;
  }

  /** The saved known text of a segment's labelled region ('' when none). */
  /** How many lines of the segment were corrected in the Reading tab (known text for `read --corrected-lines`). */
  async correctedLines(segment: string): Promise<number> {
    const r = (await (await this.get(`/api/transcriptions?segment=${encodeURIComponent(segment)}`)).json()) as {
      correctedLines?: number;
    };
    return r.correctedLines ?? 0;
  }

  async transcription(segment: string): Promise<string> {
    return (
      (await (await this.get(`/api/transcriptions?segment=${encodeURIComponent(segment)}`)).json()) as {
        text: string;
      }
    ).text;
  }

  /** Save it in the corpus; returns its corpus-relative path (what a read job's `transcription` option takes). */
  async saveTranscription(segment: string, text: string): Promise<string> {
    const r = (await this.send('PUT', `/api/transcriptions?segment=${encodeURIComponent(segment)}`, { text })) as {
      path: string;
    };
    return r.path;
  }

  /**
   * Upload one file into `<corpus>/incoming/<relPath>` with progress (XMLHttpRequest: fetch reports no upload
   * progress). Resolves to its corpus-relative path.
   */
  upload(
    relPath: string,
    body: Blob,
    onProgress?: (sent: number, total: number) => void,
    signal?: AbortSignal,
  ): Promise<string> {
    return new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      const target = `/api/uploads?path=${encodeURIComponent(relPath)}`;
      xhr.open('POST', this.base + target);
      xhr.withCredentials = true;
      xhr.upload.onprogress = (e) => onProgress?.(e.loaded, e.total || body.size);
      xhr.onload = () => {
        let json: { path?: string; error?: string } = {};
        try {
          json = JSON.parse(xhr.responseText) as typeof json;
        } catch {
          /* not JSON */
        }
        if (xhr.status >= 200 && xhr.status < 300 && json.path) resolve(json.path);
        else reject(new ApiError(xhr.status, target, json.error ?? xhr.statusText));
      };
      xhr.onerror = () => reject(new ApiError(0, target, 'the upload failed (connection lost)'));
      signal?.addEventListener('abort', () => xhr.abort());
      xhr.onabort = () => reject(new ApiError(0, target, 'upload cancelled'));
      xhr.send(body);
    });
  }

  /** An editor's correction of one letter (column and line numbers, letter index from 0); the corrected reading. */
  async correctLetter<R>(
    segment: string,
    c: { column: number; line: number; index: number; char: string },
  ): Promise<R> {
    const r = (await this.send('PUT', `/api/readings/letter?segment=${encodeURIComponent(segment)}`, c)) as {
      reading: R;
    };
    return r.reading;
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

  /** Resolves when the job ends, with its final state (and the one-line reason of a failure). */
  async waitForJob(id: string): Promise<JobInfo> {
    await new Promise<void>((resolve) => {
      const stop = this.followJob(id, (e) => {
        if (e.type === 'end') {
          stop();
          resolve();
        }
      });
    });
    return (await (await this.get(`/api/jobs/${encodeURIComponent(id)}`)).json()) as JobInfo;
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
