import type { ComponentChildren } from 'preact';
import type { Permission } from '../../src/security/permissions';
import { Link } from './components';
import { type Feature, useFeatures } from './features';
import { AgentDetailPage, AgentsPage } from './pages/agents';
import { ApprovalsPage } from './pages/approvals';
import { AuditPage } from './pages/audit';
import { KeysPage } from './pages/keys';
import { NotFoundPage } from './pages/notFound';
import { OverviewPage } from './pages/overview';
import { SchedulesPage } from './pages/schedules';
import { SecretsPage } from './pages/secrets';
import { SecurityPage } from './pages/security';
import { TaskDetailPage } from './pages/taskDetail';
import { TasksPage } from './pages/tasks';
import { ThreadPage, ThreadsPage } from './pages/threads';
import { UsagePage } from './pages/usage';
import { UsersPage } from './pages/users';
import { RunPage, WorkflowDetailPage, WorkflowsPage } from './pages/workflows';
import { match, useLocation } from './router';
import { useCan, useUser } from './session';

interface Route {
  path: string;
  render: (params: Record<string, string>) => ComponentChildren;
  /** Shown in the navigation under this name, to roles holding `permission`. */
  nav?: string;
  permission?: Permission;
  /** Only when this server offers the feature to this user (see features.ts). */
  feature?: Feature;
}

const ROUTES: Route[] = [
  { path: '/', nav: 'Overview', permission: 'engine:view', render: () => <OverviewPage /> },
  { path: '/agents', nav: 'Agents', permission: 'agent:list', render: () => <AgentsPage /> },
  { path: '/agents/:agentId', render: (p) => <AgentDetailPage agentId={p.agentId} /> },
  { path: '/tasks', nav: 'Tasks', permission: 'task:view', render: () => <TasksPage /> },
  { path: '/tasks/:taskId', render: (p) => <TaskDetailPage taskId={p.taskId} /> },
  { path: '/workflows', nav: 'Workflows', permission: 'workflow:view', render: () => <WorkflowsPage /> },
  { path: '/workflows/:workflowId', render: (p) => <WorkflowDetailPage workflowId={p.workflowId} /> },
  { path: '/runs/:runId', render: (p) => <RunPage runId={p.runId} /> },
  { path: '/approvals', nav: 'Approvals', feature: 'approvals', render: () => <ApprovalsPage /> },
  { path: '/threads', nav: 'Threads', feature: 'threads', render: () => <ThreadsPage /> },
  { path: '/threads/:threadId', render: (p) => <ThreadPage threadId={p.threadId} /> },
  { path: '/schedules', nav: 'Schedules', feature: 'schedules', render: () => <SchedulesPage /> },
  { path: '/usage', nav: 'Usage and cost', feature: 'usage', render: () => <UsagePage /> },
  { path: '/audit', nav: 'Audit log', permission: 'audit:view', render: () => <AuditPage /> },
  { path: '/security', nav: 'Security', permission: 'security:view', render: () => <SecurityPage /> },
  { path: '/users', nav: 'Users', permission: 'user:manage', render: () => <UsersPage /> },
  { path: '/keys', nav: 'API keys', render: () => <KeysPage /> },
  { path: '/secrets', nav: 'Secrets', permission: 'secret:manage', render: () => <SecretsPage /> },
];

export function App({ onLogout }: { onLogout: () => void }) {
  const user = useUser();
  const can = useCan();
  const { path } = useLocation();
  const features = useFeatures();
  const offered = (r: Route) =>
    (!r.permission || can(r.permission)) && (!r.feature || features.has(r.feature));
  let page: ComponentChildren = <NotFoundPage />;
  for (const route of ROUTES) {
    const params = match(route.path, path);
    if (params) {
      // The overview needs engine:view; other roles land on their tasks.
      page = route.path === '/' && !can('engine:view') ? <TasksPage /> : route.render(params);
      break;
    }
  }
  const section = `/${path.split('/')[1] ?? ''}`;
  return (
    <div class="shell">
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="topbar">
        <span class="brand">BSM-AgentOS</span>
        <span class="who">
          {user.username} <span class="role">({user.role})</span>
        </span>
        <button type="button" onClick={onLogout}>
          Sign out
        </button>
      </header>
      <nav class="sidenav" aria-label="Main">
        <ul>
          {ROUTES.filter((r) => r.nav && offered(r)).map((r) => (
            <li key={r.path}>
              <Link to={r.path} aria-current={section === r.path ? 'page' : undefined}>
                {r.nav}
              </Link>
            </li>
          ))}
        </ul>
      </nav>
      <main id="main" tabIndex={-1}>
        {page}
      </main>
    </div>
  );
}
