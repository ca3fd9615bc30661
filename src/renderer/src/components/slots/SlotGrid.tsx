import { SLOT_IDS } from '../../../../shared/slots/slots.js';
import { SlotCard } from './SlotCard.js';

export function SlotGrid(): React.JSX.Element {
  return (
    <section aria-labelledby="slots-title" className="slots-section">
      <h2 id="slots-title" className="section-title">
        Slots
      </h2>
      <div className="slot-grid">
        {SLOT_IDS.map((id) => (
          <SlotCard key={id} id={id} />
        ))}
      </div>
    </section>
  );
}
