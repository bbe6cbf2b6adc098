/** HTTP goes through this port; the registry's v2 API is the only HTTP the tool speaks. */
export interface HttpResponse {
  status: number;
  headers: Headers;
  text: string;
}

export interface Http {
  request(url: string, init?: { method?: string; headers?: Record<string, string>; timeoutMs?: number }): Promise<HttpResponse>;
}

export function hostHttp(): Http {
  return {
    async request(url, init = {}) {
      const res = await fetch(url, {
        method: init.method ?? 'GET',
        headers: init.headers,
        redirect: 'manual',
        signal: AbortSignal.timeout(init.timeoutMs ?? 5000),
      });
      return { status: res.status, headers: res.headers, text: await res.text() };
    },
  };
}
