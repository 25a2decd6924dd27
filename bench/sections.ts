import { dashboardSection } from './dashboard.bench';
import { extensionSection } from './extension.bench';
import { lowTrafficSection } from './lowTraffic.bench';
import { guardedRolloutSection } from './guardedRollout.bench';
import { coreSection } from './core.bench';
import { opeSection } from './ope.bench';
import { planningSection } from './planning.bench';
import { promotionGateSection } from './promotionGate.bench';
import { serviceSection } from './service.bench';
import { sloPowerSection } from './sloPower.bench';
import { socketSection } from './socket.bench';
import { storeSection } from './store.bench';

/** One benchmark section: a name (the key in the JSON report) and a function returning its figures. */
export interface BenchSection {
  name: string;
  run(): Promise<Record<string, unknown>>;
}

/** Every section, in report order. Add a section by writing bench/<name>.bench.ts and listing it here. */
export const sections: BenchSection[] = [extensionSection, coreSection, opeSection, lowTrafficSection, guardedRolloutSection, promotionGateSection, sloPowerSection, storeSection, serviceSection, dashboardSection, socketSection, planningSection];
