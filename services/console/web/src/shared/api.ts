// The console's JSON API: same-origin fetches with the session cookie; writes carry the console's
// header (the server refuses writes without it). A failure becomes an ApiError that names the service
// that failed, so a view can show a banner for that part and keep the rest.

export interface Violation {
  field: string;
  description: string;
}

export interface ErrorBody {
  error?: {
    message?: string;
    code?: string;
    service?: string;
    service_label?: string;
    unavailable?: boolean;
    details?: string;
    violations?: Violation[];
    rules?: { rule: string; description: string }[];
  };
}

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly service: string;
  readonly serviceLabel: string;
  readonly unavailable: boolean;
  readonly violations: Violation[];
  readonly rules: { rule: string; description: string }[];

  constructor(status: number, body: ErrorBody) {
    const e = body.error ?? {};
    super(e.message ?? `请求失败（${status}）`);
    this.status = status;
    this.code = e.code ?? String(status);
    this.service = e.service ?? "";
    this.serviceLabel = e.service_label ?? "";
    this.unavailable = e.unavailable ?? status >= 502;
    this.violations = e.violations ?? [];
    this.rules = e.rules ?? [];
  }
}

export type SignedOutHandler = () => void;
let onSignedOut: SignedOutHandler = () => undefined;

export function whenSignedOut(handler: SignedOutHandler): void {
  onSignedOut = handler;
}

async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { Accept: "application/json" };
  if (method !== "GET") headers["X-Jingwu-Console"] = "1";
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers,
      credentials: "same-origin",
      body: body === undefined ? null : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, { error: { message: "无法连接控制台服务，请检查网络", code: "NETWORK", unavailable: true } });
  }
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : {};
  } catch {
    parsed = { error: { message: text.slice(0, 200) } };
  }
  if (!response.ok) {
    const failure = new ApiError(response.status, parsed as ErrorBody);
    if (response.status === 401 && path !== "/api/session") onSignedOut();
    throw failure;
  }
  return parsed as T;
}

export const api = {
  get: <T>(path: string) => request<T>("GET", path),
  post: <T>(path: string, body: unknown = {}) => request<T>("POST", path, body),
  delete: <T>(path: string) => request<T>("DELETE", path),
};

export function query(params: Record<string, string | number | undefined>): string {
  const search = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== "") search.set(k, String(v));
  const s = search.toString();
  return s ? `?${s}` : "";
}
