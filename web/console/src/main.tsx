import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { loadCredential, logout, onCredentialChange, saveCredential, type Credential } from './api.js';
import { SignIn } from './sign-in.js';
import { Uploader } from './uploader.js';
import { JobForm } from './job-form.js';
import { JobList } from './job-list.js';
import { AccountPage } from './account-page.js';
import { JobPage } from './job-page.js';
import { useRoute } from './router.js';
import './style.css';

function App() {
  const [credential, setCredential] = useState<Credential | null>(loadCredential);
  const [uploadId, setUploadId] = useState('');
  const [jobsVersion, setJobsVersion] = useState(0);
  const route = useRoute();
  useEffect(() => onCredentialChange(setCredential), []);

  const signIn = (c: Credential) => {
    saveCredential(c);
    setCredential(c);
  };
  const signOut = async () => {
    if (credential) await logout(credential);
    saveCredential(null);
    setCredential(null);
    setUploadId('');
  };

  return (
    <>
      <header class="top">
        <h1>mediaforge</h1>
        {credential && (
          <nav class="nav" aria-label="Pages">
            <a href="#/" aria-current={route.page === 'home' ? 'page' : undefined}>
              Jobs
            </a>
            <a href="#/account" aria-current={route.page === 'account' ? 'page' : undefined}>
              Account
            </a>
          </nav>
        )}
        {credential && (
          <div class="who">
            <span>{credential.kind === 'user' ? credential.email : 'API key'}</span>
            <button type="button" onClick={signOut}>
              Sign out
            </button>
          </div>
        )}
      </header>
      <main>
        {!credential ? (
          <SignIn onSignedIn={signIn} />
        ) : route.page === 'account' ? (
          <AccountPage />
        ) : route.page === 'job' ? (
          <JobPage id={route.id} />
        ) : (
          <>
            <Uploader onUploaded={setUploadId} />
            <JobForm uploadId={uploadId} onUploadId={setUploadId} onCreated={() => setJobsVersion((v) => v + 1)} />
            <JobList version={jobsVersion} />
          </>
        )}
      </main>
    </>
  );
}

render(<App />, document.getElementById('app')!);
