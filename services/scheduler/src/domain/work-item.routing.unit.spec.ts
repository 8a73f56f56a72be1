import { routeWorkItem } from './work-item.routing';

describe('work item routing', () => {
  const registered = [
    { workflowId: 'database-performance', itemTypes: ['slow_query'] },
    { workflowId: 'WF-BUG-001', itemTypes: [] },
    { workflowId: 'error-investigation', itemTypes: ['alert'] },
  ];

  it('prefers workflows whose trigger lists the item type', () => {
    expect(routeWorkItem('slow_query', registered)).toBe('database-performance');
    expect(routeWorkItem('alert', registered)).toBe('error-investigation');
  });

  it('falls back to the quick-reference rules, only for registered workflows', () => {
    expect(routeWorkItem('bug', registered)).toBe('WF-BUG-001');
    expect(routeWorkItem('bug', registered.filter((w) => w.workflowId !== 'WF-BUG-001'))).toBe('error-investigation');
    expect(routeWorkItem('Performance', registered)).toBe('database-performance');
    expect(routeWorkItem('security', registered)).toBeNull();
  });

  it('breaks ties between explicit item types by workflow id', () => {
    expect(routeWorkItem('x', [{ workflowId: 'b', itemTypes: ['x'] }, { workflowId: 'a', itemTypes: ['x'] }])).toBe('a');
  });
});
