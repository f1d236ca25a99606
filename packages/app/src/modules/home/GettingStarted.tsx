import { Link } from '@backstage/core-components';
import { useRouteRef } from '@backstage/frontend-plugin-api';
import catalogPlugin from '@backstage/plugin-catalog/alpha';
import scaffolderPlugin from '@backstage/plugin-scaffolder/alpha';
import platformPlugin from '@internal/plugin-platform';
import { List, ListItem, ListItemText } from '@material-ui/core';

type Shortcut = {
  title: string;
  what: string;
  href?: string;
};

/**
 * Where a new user starts, linked through the route refs of the pages, so
 * the links follow wherever the app mounts them. Nothing here leaves the
 * app: the Home page must work on a network without the internet.
 */
export function GettingStarted() {
  const catalog = useRouteRef(catalogPlugin.routes.catalogIndex);
  const create = useRouteRef(scaffolderPlugin.routes.root);
  const services = useRouteRef(platformPlugin.routes.services);
  const runs = useRouteRef(platformPlugin.routes.runs);
  const shortcuts: Shortcut[] = [
    {
      title: 'Find a service',
      what: 'Every service, its owner and what it depends on.',
      href: catalog?.(),
    },
    {
      title: 'Create a service',
      what: 'A repository, namespace, deployment and catalog entry, removed again if a step fails.',
      href: create?.(),
    },
    {
      title: 'Services by team',
      what: 'Platform → Services, by team and lifecycle.',
      href: services?.(),
    },
    {
      title: 'Your runs',
      what: 'What each run created, and how its rollback went.',
      href: runs?.(),
    },
  ];
  return (
    <List dense>
      {shortcuts.map(({ title, what, href }) => (
        <ListItem key={title}>
          <ListItemText
            primary={href ? <Link to={href}>{title}</Link> : title}
            secondary={what}
            // The grid's cards clip a line that does not wrap.
            secondaryTypographyProps={{ style: { whiteSpace: 'normal' } }}
          />
        </ListItem>
      ))}
    </List>
  );
}
