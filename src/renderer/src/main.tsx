import './zod-config.js';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { getApi } from './api/index.js';
import { App } from './App.js';
import { connectStore, createDashboardStore } from './store/dashboard-store.js';
import { DashboardContext } from './store/use-dashboard.js';
import './styles.css';

function Unavailable({ message }: { message: string }): React.JSX.Element {
  return (
    <main className="unavailable" role="alert">
      <h1>Modelbay</h1>
      <p>{message}</p>
    </main>
  );
}

const root = document.getElementById('root');
if (root) {
  const reactRoot = createRoot(root);
  try {
    const api = getApi();
    const store = createDashboardStore();
    connectStore(store, api);
    reactRoot.render(
      <StrictMode>
        <DashboardContext value={{ store, api }}>
          <App />
        </DashboardContext>
      </StrictMode>,
    );
  } catch (err) {
    reactRoot.render(<Unavailable message={err instanceof Error ? err.message : String(err)} />);
  }
}
