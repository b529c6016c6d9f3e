import { useState } from 'preact/hooks';
import type { User } from '../api';
import { ErrorNote, Field } from '../components';
import { useAction } from '../hooks';
import { login } from '../session';

export function LoginPage({ onLogin }: { onLogin: (user: User) => void }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const action = useAction(async () => onLogin(await login(username, password)));
  return (
    <main class="login" id="main">
      <form
        class="card"
        aria-labelledby="login-title"
        onSubmit={(e) => {
          e.preventDefault();
          action.run();
        }}
      >
        <h1 id="login-title">BSM-AgentOS</h1>
        <p class="muted">Sign in to the console.</p>
        <Field label="Username">
          <input
            name="username"
            autoComplete="username"
            required
            value={username}
            onInput={(e) => setUsername(e.currentTarget.value)}
          />
        </Field>
        <Field label="Password">
          <input
            name="password"
            type="password"
            autoComplete="current-password"
            required
            value={password}
            onInput={(e) => setPassword(e.currentTarget.value)}
          />
        </Field>
        <ErrorNote error={action.error} />
        <button type="submit" class="primary" disabled={action.busy}>
          {action.busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
