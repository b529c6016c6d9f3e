import { Link, PageHeader } from '../components';

export function NotFoundPage() {
  return (
    <>
      <PageHeader title="Not found" />
      <p>
        There is no page here. <Link to="/">Back to the overview</Link>
      </p>
    </>
  );
}
