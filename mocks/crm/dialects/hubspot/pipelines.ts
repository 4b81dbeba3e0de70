/** A stage of a ticket pipeline. */
export interface PipelineStage {
  id: string;
  label: string;
  displayOrder: number;
  ticketState: 'OPEN' | 'CLOSED';
}

/** A ticket pipeline. */
export interface Pipeline {
  id: string;
  label: string;
  displayOrder: number;
  stages: readonly PipelineStage[];
}

/** HubSpot's default support pipeline: `0`, stages 1 New, 2 Waiting on contact, 3 Waiting on us, 4 Closed. */
export const TICKET_PIPELINES: readonly Pipeline[] = [
  {
    id: '0',
    label: 'Support Pipeline',
    displayOrder: 0,
    stages: [
      { id: '1', label: 'New', displayOrder: 0, ticketState: 'OPEN' },
      { id: '2', label: 'Waiting on contact', displayOrder: 1, ticketState: 'OPEN' },
      { id: '3', label: 'Waiting on us', displayOrder: 2, ticketState: 'OPEN' },
      { id: '4', label: 'Closed', displayOrder: 3, ticketState: 'CLOSED' },
    ],
  },
];

// Default pipelines carry epoch 0 as their creation time on HubSpot.
const EPOCH = '1970-01-01T00:00:00Z';

/** A pipeline as GET /crm/v3/pipelines/tickets returns it. */
export function pipelineJson(p: Pipeline): Record<string, unknown> {
  return {
    label: p.label,
    displayOrder: p.displayOrder,
    id: p.id,
    stages: p.stages.map(stageJson),
    createdAt: EPOCH,
    updatedAt: EPOCH,
    archived: false,
  };
}

/** A stage as the pipelines API returns it (metadata values are strings). */
export function stageJson(s: PipelineStage): Record<string, unknown> {
  return {
    label: s.label,
    displayOrder: s.displayOrder,
    metadata: { ticketState: s.ticketState, isClosed: String(s.ticketState === 'CLOSED') },
    id: s.id,
    createdAt: EPOCH,
    updatedAt: EPOCH,
    archived: false,
    writePermissions: 'CRM_PERMISSIONS_ENFORCEMENT',
  };
}

/** Whether `stage` of `pipeline` is a closed state. */
export function isClosedStage(pipeline: string, stage: string): boolean {
  return (
    TICKET_PIPELINES.find((p) => p.id === pipeline)?.stages.find((s) => s.id === stage)?.ticketState ===
    'CLOSED'
  );
}
