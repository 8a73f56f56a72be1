export type { EscalationEvent, EscalationRaisedData, EscalationLevelRaisedData, EscalationResolvedData } from '@baton/contracts';
