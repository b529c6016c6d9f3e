import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { get, onUnauthorised, type User } from './api';
import { App } from './app';
import { connectLive, disconnectLive } from './live';
import { LoginPage } from './pages/login';
import { logout, SessionContext } from './session';
import './styles.css';

function Root() {
  const [user, setUser] = useState<User | null | undefined>(undefined);

  useEffect(() => {
    get<User>('/api/auth/me').then(setUser, () => setUser(null));
    return onUnauthorised(() => setUser(null));
  }, []);

  useEffect(() => {
    if (user) connectLive();
    else disconnectLive();
  }, [user]);

  if (user === undefined) return <p class="loading">Loading…</p>;
  if (user === null) return <LoginPage onLogin={setUser} />;
  return (
    <SessionContext.Provider value={user}>
      <App
        onLogout={async () => {
          await logout();
          setUser(null);
        }}
      />
    </SessionContext.Provider>
  );
}

render(<Root />, document.getElementById('app')!);
