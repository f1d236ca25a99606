import { createFrontendModule } from '@backstage/frontend-plugin-api';
import homePlugin from '@backstage/plugin-home/alpha';
import { HomePageWidgetBlueprint } from '@backstage/plugin-home-react/alpha';

const gettingStartedWidget = HomePageWidgetBlueprint.make({
  name: 'getting-started',
  params: {
    name: 'GettingStarted',
    title: 'Getting Started',
    description: 'Where to find, create and follow services on the platform',
    components: () =>
      import('./GettingStarted').then(m => ({ Content: m.GettingStarted })),
  },
});

// The stock Random Joke widget fetches each joke from a public web API and
// does not handle a failed fetch: on a network without the internet that is
// an uncaught error, which the development server shows as an overlay over
// the whole page. Off here; `home-page-widget:home/random-joke: true` under
// app.extensions turns it back on where the internet is reachable.
const randomJokeWidget = homePlugin
  .getExtension('home-page-widget:home/random-joke')
  .override({ disabled: true });

export const homeModule = createFrontendModule({
  pluginId: 'home',
  extensions: [gettingStartedWidget, randomJokeWidget],
});
