import { DiskPanel } from './components/disk/DiskPanel.js';
import { DownloadsPanel } from './components/downloads/DownloadsPanel.js';
import { EventLog } from './components/events/EventLog.js';
import { GpuPanel } from './components/gpu/GpuPanel.js';
import { Header } from './components/header/Header.js';
import { LayoutPanel } from './components/layouts/LayoutPanel.js';
import { PressureGauges } from './components/gpu/PressureGauges.js';
import { ReadinessPanel } from './components/downloads/ReadinessPanel.js';
import { SettingsDialog } from './components/settings/SettingsDialog.js';
import { SlotConfigDialog } from './components/slots/SlotConfigDialog.js';
import { SlotGrid } from './components/slots/SlotGrid.js';
import { VramChart } from './components/gpu/VramChart.js';

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
        <LayoutPanel />
        <DiskPanel />
        <EventLog />
      </main>
      <SettingsDialog />
      <SlotConfigDialog />
    </div>
  );
}
