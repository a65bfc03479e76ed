/**
 * The live brief's front end: connects to the visitor's pre-heated kernel and draws its
 * ipywidgets. A brief only uses controls and HTML, so this replaces Voilà's JupyterLab
 * application (~5 MB) with the widget manager alone (~1 MB): see docs/decisions.md.
 */
import * as base from '@jupyter-widgets/base';
import { ManagerBase } from '@jupyter-widgets/base-manager';
import * as controls from '@jupyter-widgets/controls';
import type * as Kernel from '@jupyterlab/services/lib/kernel/kernel';
import { KernelConnection } from '@jupyterlab/services/lib/kernel/default';
import { ServerConnection } from '@jupyterlab/services/lib/serverconnection';
import type { JSONObject } from '@lumino/coreutils';
import { Widget } from '@lumino/widgets';
import '@jupyter-widgets/controls/css/widgets.css';

/** The widget modules a brief may use; anything else is refused, never fetched. */
const MODULES: Record<string, Record<string, unknown>> = {
  '@jupyter-widgets/base': base,
  '@jupyter-widgets/controls': controls,
};

class BriefWidgetManager extends ManagerBase {
  constructor(private readonly kernel: Kernel.IKernelConnection) {
    super();
    kernel.registerCommTarget(this.comm_target_name, (comm, message) => {
      void this.handle_comm_open(new base.shims.services.Comm(comm), message);
    });
  }

  /** Every model and view's state, in one request to the kernel. */
  load(): Promise<void> {
    return this._loadFromKernel();
  }

  protected async loadClass(
    className: string,
    moduleName: string,
  ): Promise<typeof base.WidgetModel | typeof base.WidgetView> {
    const found = MODULES[moduleName]?.[className];
    if (typeof found !== 'function') {
      throw new Error(`widget class not bundled: ${moduleName}.${className}`);
    }
    return found as typeof base.WidgetModel | typeof base.WidgetView;
  }

  protected async _create_comm(
    targetName: string,
    modelId?: string,
    data?: JSONObject,
    metadata?: JSONObject,
    buffers?: ArrayBuffer[] | ArrayBufferView[],
  ): Promise<base.IClassicComm> {
    const comm = this.kernel.createComm(targetName, modelId);
    if (data || metadata) {
      comm.open(data ?? {}, metadata, buffers);
    }
    return new base.shims.services.Comm(comm);
  }

  protected async _get_comm_info(): Promise<{}> {
    const reply = await this.kernel.requestCommInfo({ target_name: this.comm_target_name });
    return reply.content.status === 'ok' ? reply.content.comms : {};
  }
}

interface PageConfig {
  baseUrl: string;
  kernelId: string;
}

function pageConfig(): PageConfig {
  const element = document.getElementById('jupyter-config-data');
  return JSON.parse(element?.textContent ?? '{}') as PageConfig;
}

/** Frees the visitor's kernel when the page goes away, as Voilà's page does. */
function releaseOnLeave(config: PageConfig): void {
  window.addEventListener('pagehide', () => {
    const xsrf = document.cookie.match(/(?:^|;\s*)_xsrf=([^;]*)/)?.[1];
    const form = new FormData();
    form.append('_xsrf', xsrf ? decodeURIComponent(xsrf) : '');
    navigator.sendBeacon(`${config.baseUrl}voila/api/shutdown/${config.kernelId}`, form);
  });
}

/** Keeps the address bar equal to the view's permalink, which the kernel redraws on every
 * change, so that copying the address shares the view; and the page's language and title
 * equal the view's, for screen readers and bookmarks. */
function followPermalink(): void {
  const sync = (): void => {
    const link = document.querySelector('.odata-live a.odata-permalink');
    const query = link?.getAttribute('href');
    if (query?.startsWith('?') && window.location.search !== query) {
      window.history.replaceState(null, '', query);
    }
    const lang = new URLSearchParams(query ?? '').get('lang');
    if (lang && document.documentElement.lang !== lang) {
      document.documentElement.lang = lang;
    }
    const title = document.querySelector('.odata-live h1')?.textContent?.trim();
    if (title && document.title !== title) {
      document.title = title;
    }
  };
  new MutationObserver(sync).observe(document.body, {
    subtree: true,
    childList: true,
    attributes: true,
    attributeFilter: ['href'],
  });
  sync();
}

function showError(): void {
  const status = document.getElementById('odata-loading');
  if (status) {
    status.className = 'odata-error';
    status.setAttribute('role', 'alert');
    status.textContent = 'Si è verificato un errore: ricarica la pagina. · ' +
      'Something went wrong: please reload the page.';
  }
}

async function main(): Promise<void> {
  const config = pageConfig();
  const places = Array.from(document.querySelectorAll<HTMLElement>('[data-model-id]'));
  if (!config.kernelId || places.length === 0) {
    showError();
    return;
  }
  const kernel = new KernelConnection({
    model: { id: config.kernelId, name: 'python3' },
    serverSettings: ServerConnection.makeSettings({ baseUrl: config.baseUrl }),
  });
  releaseOnLeave(config);
  const manager = new BriefWidgetManager(kernel);
  await manager.load();
  for (const place of places) {
    const model = await manager.get_model(place.dataset.modelId ?? '');
    const view = await manager.create_view(model);
    Widget.attach(view.luminoWidget, place);
  }
  document.getElementById('odata-loading')?.remove();
  followPermalink();
}

main().catch((error: unknown) => {
  console.error(error);
  showError();
});
