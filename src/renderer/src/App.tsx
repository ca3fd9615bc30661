import { DiskPanel } from './components/DiskPanel.js';
import { DownloadsPanel } from './components/DownloadsPanel.js';
import { EventLog } from './components/EventLog.js';
import { GpuPanel } from './components/GpuPanel.js';
import { Header } from './components/Header.js';
import { PressureGauges } from './components/PressureGauges.js';
import { ReadinessPanel } from './components/ReadinessPanel.js';
import { SettingsDialog } from './components/SettingsDialog.js';
import { SlotConfigDialog } from './components/SlotConfigDialog.js';
import { SlotGrid } from './components/SlotGrid.js';
import { VramChart } from './components/VramChart.js';

export function App(): React.JSX.Element {
  return (
    <div className="app">
      <Header />
      <main className="layout">
        <section className="overview" aria-label="GPU and memory">
          <div className="overview-side">
            <GpuPanel />
            <PressureGauges />
          </div>
          <VramChart />
        </section>
        <SlotGrid />
        <section className="lower">
          <DownloadsPanel />
          <ReadinessPanel />
        </section>
        <DiskPanel />
        <EventLog />
      </main>
      <SettingsDialog />
      <SlotConfigDialog />
    </div>
  );
}
