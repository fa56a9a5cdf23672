import { type FormEvent, useEffect, useState } from 'react';
import { type DesktopMode, type DesktopSettings, type SettingsFieldError, validateSettings } from '../../../../shared/desktop-settings';

interface Draft {
  mode: DesktopMode;
  dataDir: string;
  serverUrl: string;
  databaseUrl: string;
  redisUrl: string;
}

function toDraft(settings: DesktopSettings): Draft {
  return {
    mode: settings.mode,
    dataDir: 'dataDir' in settings ? (settings.dataDir ?? '') : '',
    serverUrl: settings.mode === 'team-remote' ? settings.serverUrl : '',
    databaseUrl: settings.mode === 'team-embedded' ? settings.databaseUrl : '',
    redisUrl: settings.mode === 'team-embedded' ? (settings.redisUrl ?? '') : '',
  };
}

const MODES: { value: DesktopMode; label: string; hint: string }[] = [
  { value: 'solo', label: 'Solo', hint: 'Everything stays on this computer.' },
  { value: 'team-remote', label: 'Team server', hint: 'Connect to a Veza server your team runs; sign in there.' },
  { value: 'team-embedded', label: 'Team database', hint: 'Run the server here on your team’s PostgreSQL (and Redis).' },
];

/**
 * Desktop-only settings (where the server lives). Renders nothing in a plain browser, where `window.veza`
 * does not exist. Main asks for a native confirmation and restarts the server; the window then reloads.
 */
export function DesktopSettingsPanel() {
  const [draft, setDraft] = useState<Draft | null>(null);
  const [errors, setErrors] = useState<SettingsFieldError[]>([]);
  const [message, setMessage] = useState<string | null>(null);
  const [isSaving, setIsSaving] = useState(false);

  useEffect(() => {
    void window.veza?.getSettings().then((settings) => setDraft(toDraft(settings)));
  }, []);

  if (!window.veza || !draft) return null;
  const bridge = window.veza;
  const errorFor = (field: string) => errors.find((e) => e.field === field)?.message;
  const update = (patch: Partial<Draft>) => setDraft({ ...draft, ...patch });

  async function save(event: FormEvent) {
    event.preventDefault();
    const checked = validateSettings({ ...draft, dataDir: draft!.dataDir || null, redisUrl: draft!.redisUrl || null });
    if (!checked.ok) return setErrors(checked.errors);
    setErrors([]);
    setIsSaving(true);
    const result = await bridge.setSettings(checked.settings).finally(() => setIsSaving(false));
    if (result.ok) setMessage('Switching… the window reloads on the new server.');
    else if (result.code === 'INVALID') setErrors(result.errors);
    else if (result.code === 'START_FAILED') setMessage(`Could not start with these settings: ${result.message}. Nothing changed.`);
    else setMessage(null);
  }

  const field = (name: keyof Draft, label: string, placeholder: string) => (
    <label className="field">
      <span>{label}</span>
      <input value={draft[name]} placeholder={placeholder} onChange={(e) => update({ [name]: e.target.value })} aria-invalid={Boolean(errorFor(name))} />
      {errorFor(name) && <small className="status-bad">{errorFor(name)}</small>}
    </label>
  );

  return (
    <form className="card" aria-label="Desktop settings" onSubmit={(e) => void save(e)}>
      <fieldset>
        <legend>Where your music lives</legend>
        {MODES.map((mode) => (
          <label key={mode.value} className="field">
            <input type="radio" name="mode" checked={draft.mode === mode.value} onChange={() => update({ mode: mode.value })} />
            <span>{mode.label}</span> <small className="muted">{mode.hint}</small>
          </label>
        ))}
      </fieldset>
      {draft.mode !== 'team-remote' && field('dataDir', 'Data folder', 'Default (app data folder)')}
      {draft.mode === 'team-remote' && field('serverUrl', 'Server address', 'https://veza.example.com')}
      {draft.mode === 'team-embedded' && field('databaseUrl', 'PostgreSQL URL', 'postgres://user:password@host:5432/veza')}
      {draft.mode === 'team-embedded' && field('redisUrl', 'Redis URL (optional)', 'redis://host:6379')}
      <button type="submit" disabled={isSaving}>
        {isSaving ? 'Switching…' : 'Apply'}
      </button>
      {message && <p role="status">{message}</p>}
    </form>
  );
}
