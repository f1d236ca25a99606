import { useScaffolderTheme } from '@backstage/plugin-scaffolder-react/alpha';
import { TextField } from '@backstage/ui';
import Box from '@material-ui/core/Box';
import CircularProgress from '@material-ui/core/CircularProgress';
import { makeStyles } from '@material-ui/core/styles';
import MuiTextField from '@material-ui/core/TextField';
import Typography from '@material-ui/core/Typography';
import CheckCircleIcon from '@material-ui/icons/CheckCircle';
import ErrorIcon from '@material-ui/icons/Error';
import HelpIcon from '@material-ui/icons/Help';
import { ServiceNameCheckRequest } from '../../api/PlatformApi';
import { FailureMessage } from '../StatusMessages';
import { ServiceNameFieldProps } from './schema';
import {
  describeServiceNameCheck,
  isValidServiceName,
  ServiceNameCheckLine,
  serviceNameCheckRequest,
  serviceNameTargets,
} from './serviceNameChecks';
import {
  ServiceNameCheckState,
  useServiceNameCheck,
} from './useServiceNameCheck';

/** How long typing must pause before the name is checked. */
const DEBOUNCE_MS = 400;

const useStyles = makeStyles(theme => ({
  free: { color: theme.palette.success.main },
  list: { listStyle: 'none', margin: 0, padding: 0 },
}));

function StateIcon(props: { state: ServiceNameCheckLine['state'] }) {
  const classes = useStyles();
  switch (props.state) {
    case 'free':
      return <CheckCircleIcon fontSize="inherit" className={classes.free} />;
    case 'blocked':
      return <ErrorIcon fontSize="inherit" color="error" />;
    default:
      return <HelpIcon fontSize="inherit" color="action" />;
  }
}

function CheckLine(props: { line: ServiceNameCheckLine }) {
  const { line } = props;
  return (
    <Box
      component="li"
      display="flex"
      alignItems="baseline"
      data-testid={`service-name-check-${line.system}`}
      data-state={line.state}
    >
      <Box component="span" mr={1} aria-hidden>
        <StateIcon state={line.state} />
      </Box>
      <Typography
        variant="body2"
        component="span"
        color={line.state === 'blocked' ? 'error' : 'textPrimary'}
      >
        {line.label}: {line.text}
      </Typography>
    </Box>
  );
}

/** The exact names the service gets, shown once the name is known valid. */
function TargetNames(props: { request: ServiceNameCheckRequest }) {
  const { repository, namespace, entity } = serviceNameTargets(props.request);
  return (
    <Typography variant="body2" data-testid="service-name-targets">
      Creates{' '}
      {repository && (
        <>
          the repository <code>{repository}</code>,{' '}
        </>
      )}
      the namespace <code>{namespace}</code> and the catalog entity{' '}
      <code>{entity}</code>.
    </Typography>
  );
}

function CheckStatus(props: {
  state: ServiceNameCheckState;
  request: ServiceNameCheckRequest;
  lines: ServiceNameCheckLine[];
}) {
  const { state, request, lines } = props;
  const classes = useStyles();
  switch (state.status) {
    case 'idle':
      return null;
    case 'loading':
      return (
        <Box display="flex" alignItems="center">
          <Box component="span" mr={1} display="flex" aria-hidden>
            <CircularProgress size={12} />
          </Box>
          <Typography variant="body2" color="textSecondary">
            Checking whether {request.name} is free…
          </Typography>
        </Box>
      );
    case 'failed':
      return (
        <FailureMessage
          title="Could not check whether the name is free. It is checked again before anything is created."
          error={state.error}
        />
      );
    default:
      return (
        <>
          {isValidServiceName(state.check) && <TargetNames request={request} />}
          <ul className={classes.list}>
            {lines.map((line, index) => (
              <CheckLine key={index} line={line} />
            ))}
          </ul>
        </>
      );
  }
}

/**
 * The name of a new service, checked while the user types: whether it is a
 * valid name, and free in the catalog, on GitHub and on the cluster, one
 * line per system, with the exact names the service will get. The
 * organisation and the cluster are read from the form fields its
 * `ui:options` name (`githubOwnerField`, `clusterField`).
 */
export function ServiceNameField(props: ServiceNameFieldProps) {
  const theme = useScaffolderTheme();
  const {
    onChange,
    required,
    rawErrors = [],
    formData,
    formContext,
    idSchema,
    placeholder,
    uiSchema,
    schema: { title = 'Service name', description },
  } = props;
  const uiOptions = uiSchema?.['ui:options'];
  const autoFocus = uiSchema?.['ui:autofocus'];
  const name = formData ?? '';
  const request = serviceNameCheckRequest({
    name,
    formData: formContext?.formData,
    uiOptions,
  });
  const state = useServiceNameCheck(name ? request : undefined, DEBOUNCE_MS);
  const lines =
    state.status === 'done'
      ? describeServiceNameCheck({
          check: state.check,
          request,
          expectsGithub: Boolean(uiOptions?.githubOwnerField),
        })
      : [];
  const invalid =
    rawErrors.length > 0 || lines.some(line => line.state === 'blocked');

  const input =
    theme === 'bui' ? (
      <TextField
        id={idSchema?.$id}
        label={title}
        description={description}
        secondaryLabel={required ? 'Required' : undefined}
        placeholder={placeholder}
        isRequired={required}
        value={name}
        onChange={value => onChange(value || undefined)}
        isInvalid={invalid}
        // Only when the template asks for it with `ui:autofocus`.
        // eslint-disable-next-line jsx-a11y/no-autofocus
        autoFocus={autoFocus}
      />
    ) : (
      <MuiTextField
        id={idSchema?.$id}
        label={title}
        placeholder={placeholder}
        helperText={description}
        required={required}
        value={name}
        onChange={event => onChange(event.target.value || undefined)}
        margin="normal"
        error={invalid}
        inputProps={{ autoFocus }}
        FormHelperTextProps={{ margin: 'dense', style: { marginLeft: 0 } }}
      />
    );

  return (
    <>
      {input}
      <Box mb={1} aria-live="polite" data-testid="service-name-status">
        <CheckStatus state={state} request={request} lines={lines} />
      </Box>
    </>
  );
}
