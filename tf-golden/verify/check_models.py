# Independent cross-check of models.json (optional; needs numpy): hand-written forward and backward
# passes of the four models in float64 numpy, the optimizers' updates, TF 1 slot names; reports the
# worst |tf - numpy| / (1 + |tf|) per case over losses, variables, slots and non-slot variables.
#   python3 tf-golden/verify/check_models.py [models.json]
import json, os, sys, numpy as np
HERE=os.path.dirname(os.path.abspath(__file__))
D=json.load(open(sys.argv[1] if len(sys.argv)>1 else os.path.join(HERE,'../../tests/src/test/resources/tf-golden/models.json')))
f=lambda x: float(np.float32(x))
def T(t): return np.array(t['data'],dtype=np.float64).reshape(t['shape']) if t['shape'] else np.array(t['data'][0],dtype=np.float64)
def sig(z): return 1/(1+np.exp(-z))
def fwdgrad(name,V,F):
    if name=='logreg':
        x,y=F['x'],F['y']; z=x@V['w']+V['b']; N=z.size
        loss=np.mean(np.maximum(z,0)-z*y+np.log1p(np.exp(-np.abs(z))))
        dz=(sig(z)-y)/N; return loss,{'w':x.T@dz,'b':dz.sum(0)}
    if name=='mlp':
        x,l=F['x'],F['labels'].astype(int); a=x@V['w1']+V['b1']; h=np.maximum(a,0); z=h@V['w2']+V['b2']
        p=np.exp(z-z.max(1,keepdims=True)); p/=p.sum(1,keepdims=True); N=len(l)
        loss=np.mean(-np.log(p[np.arange(N),l])); oh=np.zeros_like(p); oh[np.arange(N),l]=1
        dz=(p-oh)/N; dh=dz@V['w2'].T; da=dh*(a>0)
        return loss,{'w1':x.T@da,'b1':da.sum(0),'w2':h.T@dz,'b2':dz.sum(0)}
    if name=='autoencoder':
        x=F['x']; a=x@V['enc_w']+V['enc_b']; c=np.tanh(a); r=c@V['dec_w']+V['dec_b']
        loss=np.mean((r-x)**2); dr=2*(r-x)/r.size; dc=dr@V['dec_w'].T; da=dc*(1-c*c)
        return loss,{'enc_w':x.T@da,'enc_b':da.sum(0),'dec_w':c.T@dr,'dec_b':dr.sum(0)}
    if name=='embedding':
        ids=F['ids'].astype(int); y=F['y']; e=V['emb'][ids]; pred=e@V['w']; N=len(y)
        loss=np.mean((pred-y)**2); dp=2*(pred-y)/N
        return loss,{'w':(dp[:,None]*e).sum(0),'emb':('sparse',ids,dp[:,None]*V['w'][None,:])}
def dedup(idx,g):
    u=[];pos=[]
    for i in idx:
        if i not in u: u.append(i)
        pos.append(u.index(i))
    s=np.zeros((len(u),)+g.shape[1:])
    for p_,row in zip(pos,g): s[p_]+=row
    return u,s
def check(c):
    V={k:T(v) for k,v in c['init'].items() if k!='global_step'}
    o=c['optimizer']; H={k:(f(v) if not isinstance(v,bool) else v) for k,v in c['hyper'].items()}
    name=c['model_name']; S={}
    nm={'GradientDescentOptimizer':'GradientDescent','MomentumOptimizer':'Momentum','AdamOptimizer':'Adam','LazyAdamOptimizer':'Adam','AdagradOptimizer':'Adagrad','RMSPropOptimizer':'RMSProp'}[o]
    for k in V:
        if o=='MomentumOptimizer': S[k+'/Momentum']=np.zeros_like(V[k])
        if o in('AdamOptimizer','LazyAdamOptimizer'): S[k+'/Adam']=np.zeros_like(V[k]); S[k+'/Adam_1']=np.zeros_like(V[k])
        if o=='AdagradOptimizer': S[k+'/Adagrad']=np.full_like(V[k],H['initial_accumulator_value'])
        if o=='RMSPropOptimizer': S[k+'/RMSProp']=np.ones_like(V[k]); S[k+'/RMSProp_1']=np.zeros_like(V[k])
    NS={'beta1_power':np.float32(H['beta1']),'beta2_power':np.float32(H['beta2'])} if 'Adam' in o else {}
    worst=0
    for step,e in enumerate(c['expected']):
        F={k:T(v) for k,v in c['feeds'][step].items()}
        loss,G=fwdgrad(name,V,F)
        for k,g in G.items():
            var=V[k]
            if isinstance(g,tuple):
                _,idx,vals=g
                if o=='GradientDescentOptimizer':
                    for i,row in zip(idx,vals): var[i]-=H['learning_rate']*row
                    continue
                rows,vals=dedup(list(idx),vals)
            else: rows,vals=None,g
            sparse=rows is not None
            R=rows if sparse else [slice(None)]
            VV=vals if sparse else [vals]
            for r,gr in zip(R,VV):
                if o=='GradientDescentOptimizer': var[r]-=H['learning_rate']*gr
                elif o=='MomentumOptimizer':
                    a=S[k+'/Momentum']; mu=H['momentum']; lr=H['learning_rate']; a[r]=a[r]*mu+gr
                    var[r]-= gr*lr+a[r]*mu*lr
                elif o=='AdagradOptimizer':
                    a=S[k+'/Adagrad']; a[r]+=gr*gr; var[r]-=H['learning_rate']*gr/np.sqrt(a[r])
                elif o=='RMSPropOptimizer':
                    ms=S[k+'/RMSProp']; mom=S[k+'/RMSProp_1']; rho=H['decay']
                    ms[r]=ms[r]*rho+gr*gr*(1-rho); mom[r]=mom[r]*H['momentum']+gr*H['learning_rate']/np.sqrt(ms[r]+H['epsilon']); var[r]-=mom[r]
                elif 'Adam' in o and (not sparse or o=='LazyAdamOptimizer'):
                    m=S[k+'/Adam']; v=S[k+'/Adam_1']; b1,b2=H['beta1'],H['beta2']
                    al=H['learning_rate']*np.sqrt(1-float(NS['beta2_power']))/(1-float(NS['beta1_power']))
                    m[r]=b1*m[r]+(1-b1)*gr; v[r]=b2*v[r]+(1-b2)*gr*gr; var[r]-=al*m[r]/(np.sqrt(v[r])+H['epsilon'])
            if 'Adam' in o and sparse and o=='AdamOptimizer':
                m=S[k+'/Adam']; v=S[k+'/Adam_1']; b1,b2=H['beta1'],H['beta2']
                al=H['learning_rate']*np.sqrt(1-float(NS['beta2_power']))/(1-float(NS['beta1_power']))
                m*=b1; v*=b2
                for r,gr in zip(rows,vals): m[r]+=(1-b1)*gr; v[r]+=(1-b2)*gr*gr
                var-=al*m/(np.sqrt(v)+H['epsilon'])
        if NS:
            NS['beta1_power']=np.float32(NS['beta1_power']*np.float32(H['beta1'])); NS['beta2_power']=np.float32(NS['beta2_power']*np.float32(H['beta2']))
        d=lambda a,b: np.max(np.abs(np.asarray(a,dtype=np.float64).ravel()-np.asarray(b,dtype=np.float64).ravel())/(1+np.abs(np.asarray(b,dtype=np.float64).ravel())))
        worst=max(worst,d(loss,e['loss']))
        mine={**V,**S,**{k:float(v) for k,v in NS.items()},'global_step':step+1}
        assert set(mine)==set(e['vars']), (sorted(mine), sorted(e['vars']))
        for k,val in e['vars'].items(): worst=max(worst,d(mine[k],val))
    return worst
bad=0
for c in D['cases']:
    w=check(c); bad+=w>=1e-5; print(f"{c['name']:40s} worst={w:.2e} {'OK' if w<1e-5 else 'MISMATCH'}")
print('mismatches:',bad,'of',len(D['cases']))
sys.exit(1 if bad else 0)
